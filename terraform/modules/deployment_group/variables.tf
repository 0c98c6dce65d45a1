variable "application_name" {
  description = "Name of the CodeDeploy application the group belongs to."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,100}$", var.application_name))
    error_message = "application_name must be 1-100 characters of letters, digits, '.', '_' and '-'."
  }
}

variable "deployment_group_name" {
  description = "Name of the deployment group (in-place, without a load balancer)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,100}$", var.deployment_group_name))
    error_message = "deployment_group_name must be 1-100 characters of letters, digits, '.', '_' and '-'."
  }
}

variable "service_role_arn" {
  description = "ARN of the IAM role CodeDeploy assumes (with service-role/AWSCodeDeployRole attached)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", var.service_role_arn))
    error_message = "service_role_arn must be an IAM role ARN."
  }
}

variable "deployment_config_name" {
  description = "How many instances are updated at once: CodeDeployDefault.OneAtATime, HalfAtATime or AllAtOnce (or a custom config's name)."
  type        = string
  default     = "CodeDeployDefault.OneAtATime"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,100}$", var.deployment_config_name))
    error_message = "deployment_config_name must be a deployment config name such as CodeDeployDefault.OneAtATime."
  }
}

variable "tag_key" {
  description = "EC2 tag key that selects the deployment targets."
  type        = string

  validation {
    condition     = length(var.tag_key) >= 1 && length(var.tag_key) <= 128
    error_message = "tag_key must be 1-128 characters."
  }
}

variable "tag_value" {
  description = "EC2 tag value that selects the deployment targets (instances need both key and value)."
  type        = string

  validation {
    condition     = length(var.tag_value) >= 1 && length(var.tag_value) <= 256
    error_message = "tag_value must be 1-256 characters."
  }
}

variable "rollback_on_failure" {
  description = "Redeploy the last good revision automatically when a deployment fails."
  type        = bool
  default     = true
}

variable "group_tags" {
  description = "Tags of the deployment group (merged over the provider's default tags)."
  type        = map(string)
  default     = {}
}
