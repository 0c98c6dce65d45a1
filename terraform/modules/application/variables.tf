variable "application_name" {
  description = "Name of the CodeDeploy application (compute platform Server: EC2/on-premises)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,100}$", var.application_name))
    error_message = "application_name must be 1-100 characters of letters, digits, '.', '_' and '-'."
  }
}
