variable "bucket_name" {
  description = "Name of the S3 bucket that holds the pipeline artifacts (the zipped source revisions CodeDeploy installs)."
  type        = string

  validation {
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
      && !can(regex("\\.\\.|\\.-|-\\.", var.bucket_name))
    )
    error_message = "bucket_name must follow the S3 naming rules: 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "force_destroy" {
  description = "Delete every object (and object version) when the bucket is destroyed, so `terraform destroy` does not stop on a non-empty bucket."
  type        = bool
  default     = true
}

variable "current_version_expiration_days" {
  description = "Days after which a current artifact expires (each pipeline run writes new ones; a revision older than this can no longer be redeployed or rolled back to)."
  type        = number
  default     = 30

  validation {
    condition     = var.current_version_expiration_days >= 1 && floor(var.current_version_expiration_days) == var.current_version_expiration_days
    error_message = "current_version_expiration_days must be a whole number of at least 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which superseded (and expired) versions of an artifact are deleted for good."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of at least 1."
  }
}

variable "abort_incomplete_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted and their parts deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_upload_days >= 1 && floor(var.abort_incomplete_upload_days) == var.abort_incomplete_upload_days
    error_message = "abort_incomplete_upload_days must be a whole number of at least 1."
  }
}
