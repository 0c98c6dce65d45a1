variable "name" {
  description = "Name of the EventBridge rule."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits, '.', '_' and '-' (EventBridge rule names)."
  }
}

variable "role_name" {
  description = "Name of the IAM role EventBridge assumes to start the pipeline."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of letters, digits and + = , . @ _ - (IAM naming rules)."
  }
}

variable "source_kind" {
  description = "What the rule watches: codecommit (a branch) or s3 (an object)."
  type        = string
  default     = "codecommit"

  validation {
    condition     = contains(["codecommit", "s3"], var.source_kind)
    error_message = "source_kind must be codecommit or s3."
  }
}

variable "repository_arn" {
  description = "ARN of the CodeCommit repository whose branch updates start the pipeline (codecommit)."
  type        = string
  default     = null

  validation {
    condition     = var.repository_arn == null || can(regex("^arn:[a-z-]+:codecommit:", var.repository_arn))
    error_message = "repository_arn must be a CodeCommit repository ARN."
  }
}

variable "branch" {
  description = "Branch whose creation or update starts the pipeline (codecommit)."
  type        = string
  default     = null
}

variable "bucket_name" {
  description = "Bucket of the S3 source object (s3; its EventBridge notifications must be on)."
  type        = string
  default     = null
}

variable "object_key" {
  description = "Key of the S3 source object whose new versions start the pipeline (s3)."
  type        = string
  default     = null
}

variable "pipeline_arn" {
  description = "ARN of the pipeline to start."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:codepipeline:", var.pipeline_arn))
    error_message = "pipeline_arn must be a CodePipeline ARN."
  }
}
