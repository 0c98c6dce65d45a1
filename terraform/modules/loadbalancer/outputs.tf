output "target_group_arn" {
  description = "ARN of the target group CodeDeploy deregisters instances from and registers them with."
  value       = local.target_group_arn
}

output "target_group_name" {
  description = "Name of the target group (what the deployment group's load_balancer_info names)."
  value       = local.target_group_name
}

output "load_balancer_arn" {
  description = "ARN of the load balancer (null for an existing target group not yet behind one)."
  value       = one(concat(aws_lb.this[*].arn, data.aws_lb.existing[*].arn))
}

output "dns_name" {
  description = "DNS name of the load balancer (null for an existing target group not yet behind one)."
  value       = one(concat(aws_lb.this[*].dns_name, data.aws_lb.existing[*].dns_name))
}

output "url" {
  description = "URL of the service through the created load balancer (HTTPS when it has a certificate); null for an existing target group."
  value = one([
    for lb in aws_lb.this : local.https
    ? "https://${lb.dns_name}${var.https_port == 443 ? "" : ":${var.https_port}"}"
    : "http://${lb.dns_name}${var.http_port == 80 ? "" : ":${var.http_port}"}"
  ])
}

output "load_balancer_security_group_id" {
  description = "Security group of the created load balancer: allow the service port from it on instances this stack does not create."
  value       = one(aws_security_group.alb[*].id)
}

output "instance_security_group_ids" {
  description = "Security groups for the instances this stack creates (null: keep the subnet's default)."
  value       = length(aws_security_group.instances) > 0 ? [aws_security_group.instances[0].id] : null
}

output "deploy_targets" {
  description = "What a load-balanced deployment needs in place before it starts: the created instances' registrations, the listeners (a target group no listener uses has no healthy targets) and the rule that lets the load balancer reach the instances. The pipeline is created after them."
  value = concat(
    aws_lb_target_group_attachment.instances[*].id,
    aws_lb_listener.http[*].id,
    aws_lb_listener.https[*].id,
    aws_vpc_security_group_ingress_rule.instances_from_alb[*].id,
  )
}
