variable "bucket_name" {
  description = "Name of the S3 bucket that holds the zipped source (created here or existing)."
  type        = string

  validation {
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
      && !can(regex("\\.\\.|\\.-|-\\.", var.bucket_name))
    )
    error_message = "bucket_name must follow the S3 naming rules: 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "create" {
  description = "Create the bucket here (true) or use an existing one (false; it must have versioning on)."
  type        = bool
  default     = true
}

variable "eventbridge" {
  description = "Send the created bucket's events to EventBridge (the rule that starts the pipeline needs them)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Delete every object (and version) when the created bucket is destroyed, so `terraform destroy` does not stop on a non-empty bucket."
  type        = bool
  default     = true
}
