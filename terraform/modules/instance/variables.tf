variable "name_prefix" {
  description = "Prefix of names given here: the Name tag of each instance (unless tag_key is Name) and the SSM association."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,100}$", var.name_prefix))
    error_message = "name_prefix must be 3-100 characters of letters, digits, '.', '_' and '-'."
  }
}

variable "instance_count" {
  description = "How many EC2 instances to create; 0 creates none and targets instances that already carry the tag."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 0 && var.instance_count <= 50 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number from 0 to 50."
  }
}

variable "instance_type" {
  description = "EC2 instance type, e.g. t3.micro. Graviton types (t4g, m7g, ...) get arm64 images when ami is an alias."
  type        = string
  default     = "t3.micro"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type such as t3.micro."
  }
}

variable "ami" {
  description = "Machine image: an alias (ubuntu-22.04, ubuntu-24.04, amazon-linux-2023) resolved through AWS's public SSM parameters, or an AMI id (ami-...)."
  type        = string
  default     = "ubuntu-22.04"

  validation {
    condition     = can(regex("^(ubuntu-22\\.04|ubuntu-24\\.04|amazon-linux-2023|ami-[0-9a-f]{8}([0-9a-f]{9})?)$", var.ami))
    error_message = "ami must be ubuntu-22.04, ubuntu-24.04, amazon-linux-2023 or an AMI id such as ami-0123456789abcdef0."
  }
}

variable "root_volume_size" {
  description = "Size of the encrypted gp3 root volume of each instance, in GiB."
  type        = number
  default     = 16

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 1024 && floor(var.root_volume_size) == var.root_volume_size
    error_message = "root_volume_size must be a whole number of GiB from 8 to 1024."
  }
}

variable "subnet_id" {
  description = "Subnet of the instances; null lets EC2 pick a default subnet of the default VPC. The subnet needs outbound HTTPS (CodeDeploy, S3, SSM)."
  type        = string
  default     = null

  validation {
    condition     = var.subnet_id == null || can(regex("^subnet-[0-9a-f]{8}([0-9a-f]{9})?$", var.subnet_id))
    error_message = "subnet_id must be null or a subnet id such as subnet-0123456789abcdef0."
  }
}

variable "security_group_ids" {
  description = "Security groups of the instances; null keeps the subnet's VPC default security group."
  type        = list(string)
  default     = null
}

variable "instance_profile_name" {
  description = "Instance profile the instances run with (it lets the agent read the artifact bucket)."
  type        = string
}

variable "tag_key" {
  description = "Key of the tag the CodeDeploy deployment group targets; every instance gets it."
  type        = string

  validation {
    condition     = length(var.tag_key) >= 1 && length(var.tag_key) <= 128 && !startswith(lower(var.tag_key), "aws:")
    error_message = "tag_key must be 1-128 characters and must not start with 'aws:'."
  }
}

variable "tag_value" {
  description = "Value of the targeted tag."
  type        = string

  validation {
    condition     = length(var.tag_value) >= 1 && length(var.tag_value) <= 256
    error_message = "tag_value must be 1-256 characters."
  }
}

variable "agent_install" {
  description = "How the CodeDeploy agent gets installed: user_data (first boot of the created instances), ssm (a State Manager association for every instance with the tag) or preinstalled."
  type        = string
  default     = "user_data"

  validation {
    condition     = contains(["user_data", "ssm", "preinstalled"], var.agent_install)
    error_message = "agent_install must be one of user_data, ssm, preinstalled."
  }
}

variable "agent_update_schedule" {
  description = "How often the SSM association re-runs to keep the agent current (agent_install = ssm)."
  type        = string
  default     = "rate(14 days)"
}

variable "region" {
  description = "AWS region; the agent installer is downloaded from that region's aws-codedeploy-<region> bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "detailed_monitoring" {
  description = "Enable 1-minute CloudWatch detailed monitoring on the instances."
  type        = bool
  default     = true
}
