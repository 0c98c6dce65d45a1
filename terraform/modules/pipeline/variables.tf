variable "name" {
  description = "Name of the pipeline."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9.@_-]{1,100}$", var.name))
    error_message = "name must be 1-100 characters of letters, digits and . @ _ - (CodePipeline naming rules)."
  }
}

variable "role_name" {
  description = "Name of the IAM role CodePipeline assumes."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of letters, digits and + = , . @ _ - (IAM naming rules)."
  }
}

variable "pipeline_type" {
  description = "CodePipeline type, V2 (current default, per-minute pricing) or V1. Set explicitly: AWS may otherwise create V2 and drift."
  type        = string
  default     = "V2"

  validation {
    condition     = contains(["V1", "V2"], var.pipeline_type)
    error_message = "pipeline_type must be V1 or V2."
  }
}

variable "artifact_bucket_name" {
  description = "Name of the S3 bucket CodePipeline stores artifacts in."
  type        = string
}

variable "artifact_bucket_arn" {
  description = "ARN of that bucket (the pipeline role reads and writes its objects)."
  type        = string
}

variable "source_provider" {
  description = "Where the source comes from: codecommit, github, gitlab, bitbucket (through connection_arn) or s3."
  type        = string
  default     = "codecommit"

  validation {
    condition     = contains(["codecommit", "github", "gitlab", "bitbucket", "s3"], var.source_provider)
    error_message = "source_provider must be codecommit, github, gitlab, bitbucket or s3."
  }
}

variable "repository_name" {
  description = "CodeCommit repository the pipeline takes the source from (codecommit only)."
  type        = string
  default     = null

  validation {
    condition     = var.repository_name == null || try(can(regex("^[A-Za-z0-9_.-]{1,100}$", var.repository_name)) && !endswith(var.repository_name, ".git"), false)
    error_message = "repository_name must be 1-100 characters of letters, digits, '.', '_' and '-', not ending in .git."
  }
}

variable "connection_arn" {
  description = "ARN of the CodeConnections connection of a github, gitlab or bitbucket source."
  type        = string
  default     = null
}

variable "full_repository_id" {
  description = "The repository of a github, gitlab or bitbucket source: OWNER/NAME (GitLab: GROUP/.../PROJECT)."
  type        = string
  default     = null

  validation {
    condition     = var.full_repository_id == null || can(regex("^[^/\\s]+(/[^/\\s]+)+$", var.full_repository_id))
    error_message = "full_repository_id must be OWNER/NAME."
  }
}

variable "source_bucket_name" {
  description = "Versioned S3 bucket of an s3 source."
  type        = string
  default     = null
}

variable "source_bucket_arn" {
  description = "ARN of that bucket (scopes the pipeline role)."
  type        = string
  default     = null
}

variable "source_object_key" {
  description = "Key of the zipped source in the source bucket (s3 only)."
  type        = string
  default     = null
}

variable "create_repository" {
  description = "Create the CodeCommit repository here (destroy deletes it and its history)."
  type        = bool
  default     = false
}

variable "branch" {
  description = "Branch whose commits start the pipeline (not used by an s3 source)."
  type        = string
  default     = null

  validation {
    condition     = var.branch == null || try(length(var.branch) >= 1 && length(var.branch) <= 256, false)
    error_message = "branch must be 1-256 characters."
  }
}

variable "poll_for_source_changes" {
  description = "Let CodePipeline poll the branch or object (true), or rely on an EventBridge rule to start it (false; no duplicate runs). Not used by connection sources."
  type        = bool
  default     = false
}

variable "application_name" {
  description = "CodeDeploy application the deploy stage deploys with."
  type        = string
}

variable "application_arn" {
  description = "ARN of that application (scopes the pipeline role)."
  type        = string
}

variable "deployment_group_name" {
  description = "CodeDeploy deployment group the Deploy stage deploys to (null with environments)."
  type        = string
  default     = null
}

variable "deployment_group_arn" {
  description = "ARN of that deployment group (scopes the pipeline role; null with environments)."
  type        = string
  default     = null
}

variable "environments" {
  description = "Environments in deploy order, each deployed by a Deploy-<name> stage to its group, after an Approve-<name> manual approval when approval is true; null: one Deploy stage to deployment_group_name."
  type = list(object({
    name                  = string
    deployment_group_name = string
    deployment_group_arn  = string
    approval              = bool
    approval_message      = string
    approval_url          = string
  }))
  default = null

  validation {
    condition     = var.environments == null || try(length(var.environments) > 0 && length(distinct([for e in var.environments : e.name])) == length(var.environments), false)
    error_message = "environments must be null or a non-empty list with unique names."
  }
}

variable "region" {
  description = "AWS region of the pipeline and the repository."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account ID (builds the ARNs of the repository and the deployment configs)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "deploy_targets" {
  description = "IDs of the instances, the agent's SSM association and, behind a load balancer, the registrations, listeners and the rule letting it reach the instances. The pipeline is created after them: it starts its first run as soon as it exists, and a deployment created before the instances fails with NO_INSTANCES."
  type        = list(string)
  default     = []
}
