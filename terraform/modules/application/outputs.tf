output "application_name" {
  description = "Name of the CodeDeploy application."
  value       = aws_codedeploy_app.this.name
}

output "application_id" {
  description = "ID of the CodeDeploy application."
  value       = aws_codedeploy_app.this.application_id
}

output "application_arn" {
  description = "ARN of the CodeDeploy application."
  value       = aws_codedeploy_app.this.arn
}
