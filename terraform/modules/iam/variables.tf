variable "service_role_name" {
  description = "Name of the IAM role CodeDeploy assumes (it gets the AWS managed policy service-role/AWSCodeDeployRole)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.service_role_name))
    error_message = "service_role_name must be 1-64 characters of letters, digits and + = , . @ _ - (IAM naming rules)."
  }
}

variable "instance_role_name" {
  description = "Name of the EC2 instance role and of the instance profile that carries it (the seed uses one name for both)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.instance_role_name))
    error_message = "instance_role_name must be 1-64 characters of letters, digits and + = , . @ _ - (IAM naming rules)."
  }
}

variable "artifact_bucket_arn" {
  description = "ARN of the pipeline artifact bucket; the instances may read (only) its objects."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifact_bucket_arn))
    error_message = "artifact_bucket_arn must be an S3 bucket ARN such as arn:aws:s3:::my-bucket."
  }
}

variable "region" {
  description = "AWS region of the deployment; the CodeDeploy agent downloads its resource kit from the aws-codedeploy-<region> bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "attach_ssm_managed_policy" {
  description = "Attach AmazonSSMManagedInstanceCore to the instance role (needed to install the agent through SSM, and for Session Manager)."
  type        = bool
  default     = true
}

variable "extend_role_name" {
  description = "An existing role (of instances you already run) to give read access to the artifact bucket's objects; null changes no existing role."
  type        = string
  default     = null

  validation {
    condition     = var.extend_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.extend_role_name))
    error_message = "extend_role_name must be null or an IAM role name (1-64 characters of letters, digits and + = , . @ _ -)."
  }
}

variable "extend_role_policy_name" {
  description = "Name of the inline policy added to extend_role_name (unique per stack, so two stacks can extend one role)."
  type        = string
  default     = "cdwizard-artifacts-read"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", var.extend_role_policy_name))
    error_message = "extend_role_policy_name must be 1-128 characters of letters, digits and + = , . @ _ -."
  }
}
