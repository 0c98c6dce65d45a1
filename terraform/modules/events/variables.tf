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

variable "repository_arn" {
  description = "ARN of the CodeCommit repository whose branch updates start the pipeline."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:codecommit:", var.repository_arn))
    error_message = "repository_arn must be a CodeCommit repository ARN."
  }
}

variable "branch" {
  description = "Branch whose creation or update starts the pipeline."
  type        = string
}

variable "pipeline_arn" {
  description = "ARN of the pipeline to start."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:codepipeline:", var.pipeline_arn))
    error_message = "pipeline_arn must be a CodePipeline ARN."
  }
}
