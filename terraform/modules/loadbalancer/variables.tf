variable "name" {
  description = "Name of the created load balancer, its target group and the prefix of its security groups."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$", var.name)) && !startswith(var.name, "internal-")
    error_message = "name must be 1-32 letters, digits and hyphens, must not start or end with a hyphen nor start with 'internal-'."
  }
}

variable "create" {
  description = "Create the Application Load Balancer, its target group, listeners and security groups; false uses target_group_arn."
  type        = bool
  default     = true
}

variable "target_group_arn" {
  description = "An existing target group (target type instance) to deploy behind when create is false; never modified by this module."
  type        = string
  default     = null

  validation {
    condition     = var.target_group_arn == null || can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$", var.target_group_arn))
    error_message = "target_group_arn must be a target group ARN such as arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop/0123456789abcdef."
  }
}

variable "internal" {
  description = "An internal load balancer (reachable inside the VPC only) instead of an internet-facing one."
  type        = bool
  default     = false
}

variable "subnet_ids" {
  description = "Subnets of the load balancer, in at least two Availability Zones of one VPC; empty uses the default subnets of the default VPC."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8}([0-9a-f]{9})?$", id))])
    error_message = "subnet_ids must be subnet ids such as subnet-0123456789abcdef0."
  }
}

variable "target_port" {
  description = "Port the service listens on in each instance; the target group forwards to it and health-checks it."
  type        = number

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535 && floor(var.target_port) == var.target_port
    error_message = "target_port must be a port number from 1 to 65535."
  }
}

variable "health_check_path" {
  description = "Path the target group's health check requests; a target is healthy when it answers 200."
  type        = string
  default     = "/health"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~/-]*$", var.health_check_path)) && length(var.health_check_path) <= 1024
    error_message = "health_check_path must be an absolute URL path such as /health."
  }
}

variable "http_port" {
  description = "Port of the HTTP listener; null creates none. With a certificate it redirects to HTTPS when redirect_http is true."
  type        = number
  default     = 80
}

variable "https_port" {
  description = "Port of the HTTPS listener (created only with certificate_arn)."
  type        = number
  default     = 443
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener; null creates no HTTPS listener."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "Security policy (TLS versions and ciphers) of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "redirect_http" {
  description = "With a certificate, the HTTP listener answers with a redirect to HTTPS instead of forwarding."
  type        = bool
  default     = true
}

variable "allowed_cidrs" {
  description = "Client address ranges (IPv4 or IPv6 CIDR) the load balancer's listeners accept."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.allowed_cidrs) > 0 && alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_cidrs must list at least one CIDR block such as 203.0.113.0/24."
  }
}

variable "deregistration_delay" {
  description = "Seconds the target group keeps a deregistered instance draining (CodeDeploy's BlockTraffic waits for it)."
  type        = number
  default     = 30

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600 && floor(var.deregistration_delay) == var.deregistration_delay
    error_message = "deregistration_delay must be a whole number of seconds from 0 to 3600."
  }
}

variable "access_logs_bucket" {
  description = "S3 bucket for the load balancer's access logs (its policy must let ELB deliver them); null keeps access logs off."
  type        = string
  default     = null
}

variable "instance_count" {
  description = "How many instances of instance_ids are registered with the target group (a number known at plan time)."
  type        = number
  default     = 0
}

variable "instance_ids" {
  description = "Instances this stack creates; each is registered with the target group before the first deployment."
  type        = list(string)
  default     = []
}

variable "instance_security_group" {
  description = "Create the instances' security group (the service port from the load balancer only, outbound HTTP and HTTPS); only when create is true."
  type        = bool
  default     = false
}
