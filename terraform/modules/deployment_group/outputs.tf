output "deployment_group_name" {
  description = "Name of the deployment group."
  value       = aws_codedeploy_deployment_group.this.deployment_group_name
}

output "deployment_group_id" {
  description = "ID of the deployment group (the agent's deployment-root/<id>/ folder on the instances)."
  value       = aws_codedeploy_deployment_group.this.deployment_group_id
}

output "deployment_group_arn" {
  description = "ARN of the deployment group."
  value       = aws_codedeploy_deployment_group.this.arn
}

output "deployment_config_name" {
  description = "Deployment config the group uses."
  value       = aws_codedeploy_deployment_group.this.deployment_config_name
}
