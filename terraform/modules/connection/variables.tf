variable "name" {
  description = "Name of the connection to create (used only when connection_arn is null)."
  type        = string

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 32
    error_message = "name must be 1-32 characters (CodeConnections naming rules)."
  }
}

variable "provider_type" {
  description = "The connection's provider: GitHub, GitLab or Bitbucket."
  type        = string

  validation {
    condition     = contains(["GitHub", "GitLab", "Bitbucket"], var.provider_type)
    error_message = "provider_type must be GitHub, GitLab or Bitbucket."
  }
}

variable "connection_arn" {
  description = "ARN of an existing connection to use instead of creating one; null creates one."
  type        = string
  default     = null

  validation {
    condition     = var.connection_arn == null || can(regex("^arn:aws(-[a-z]+)*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[A-Za-z0-9_-]+$", var.connection_arn))
    error_message = "connection_arn must be a CodeConnections (or CodeStar Connections) connection ARN."
  }
}

variable "region" {
  description = "AWS region of the connection (for its console URL)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account ID (for the connection's console URL)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}
