output "pipeline_name" {
  description = "Name of the pipeline."
  value       = aws_codepipeline.this.name
}

output "pipeline_arn" {
  description = "ARN of the pipeline."
  value       = aws_codepipeline.this.arn
}

output "stage_names" {
  description = "Stage names in order; each stage has one action of the same name."
  value       = [for stage in aws_codepipeline.this.stage : stage.name]
}

output "role_arn" {
  description = "ARN of the role CodePipeline assumes."
  value       = aws_iam_role.this.arn
}

output "repository_name" {
  description = "Name of the CodeCommit source repository (null for other sources)."
  value       = local.codecommit ? var.repository_name : null
}

output "repository_arn" {
  description = "ARN of the CodeCommit source repository, created here or existing (null for other sources)."
  value       = local.repository_arn
}

output "repository_clone_url_http" {
  description = "HTTPS clone URL of the CodeCommit source repository (push here to start the pipeline; null for other sources)."
  value       = local.clone_url_http
}
