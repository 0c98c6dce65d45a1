variable "name_prefix" {
  description = "Prefix of the notification rules' names (<prefix>-pipeline, <prefix>-deployments)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,52}$", var.name_prefix))
    error_message = "name_prefix must be 1-52 characters of letters, digits, '_' and '-' (rule names are at most 64)."
  }
}

variable "topic_arn" {
  description = "Existing SNS topic to notify (same region); null creates topic_name here."
  type        = string
  default     = null

  validation {
    condition     = var.topic_arn == null || can(regex("^arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]{1,256}$", var.topic_arn))
    error_message = "topic_arn must be an SNS topic ARN."
  }
}

variable "topic_name" {
  description = "Name of the SNS topic created when topic_arn is null."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,256}$", var.topic_name))
    error_message = "topic_name must be 1-256 characters of letters, digits, '_' and '-'."
  }
}

variable "emails" {
  description = "Email addresses subscribed to the topic (each must confirm its subscription)."
  type        = list(string)
  default     = []
}

variable "events" {
  description = "What is notified: failed, succeeded, approval (pipeline) and deployment_failed (CodeDeploy)."
  type        = list(string)
  default     = ["failed", "succeeded", "approval", "deployment_failed"]

  validation {
    condition     = length(var.events) > 0 && alltrue([for e in var.events : contains(["failed", "succeeded", "approval", "deployment_failed"], e)])
    error_message = "events must list some of failed, succeeded, approval and deployment_failed."
  }
}

variable "pipeline_arn" {
  description = "ARN of the pipeline whose runs and approvals are notified."
  type        = string
}

variable "application_arn" {
  description = "ARN of the CodeDeploy application whose failed deployments are notified."
  type        = string
}
