output "instance_ids" {
  description = "IDs of the created instances (empty when none are created)."
  value       = aws_instance.this[*].id
}

output "private_ips" {
  description = "Private IPv4 addresses of the created instances."
  value       = aws_instance.this[*].private_ip
}

output "ami_id" {
  description = "The image the instances were launched from (null when none are created)."
  value       = var.instance_count > 0 ? aws_instance.this[0].ami : null
}

output "ssm_association_id" {
  description = "ID of the SSM association installing the agent (null unless agent_install is ssm)."
  value       = one(aws_ssm_association.codedeploy_agent[*].association_id)
}

output "deploy_targets" {
  description = "What a deployment needs in place before it starts: the created instances and the SSM association installing the agent (depend on this to run after them)."
  value       = concat(aws_instance.this[*].id, aws_ssm_association.codedeploy_agent[*].association_id)
}
