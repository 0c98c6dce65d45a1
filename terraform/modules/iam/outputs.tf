output "codedeploy_service_role_arn" {
  description = "ARN of the CodeDeploy service role (available once its managed policy is attached)."
  value       = aws_iam_role.codedeploy.arn

  # Consumers (the deployment group) must not start before the role can act.
  depends_on = [aws_iam_role_policy_attachment.codedeploy]
}

output "codedeploy_service_role_name" {
  description = "Name of the CodeDeploy service role."
  value       = aws_iam_role.codedeploy.name
}

output "instance_role_arn" {
  description = "ARN of the EC2 instance role."
  value       = aws_iam_role.instance.arn
}

output "instance_role_name" {
  description = "Name of the EC2 instance role."
  value       = aws_iam_role.instance.name
}

output "instance_profile_name" {
  description = "Name of the instance profile (available once the role's policies are in place)."
  value       = aws_iam_instance_profile.instance.name

  # Instances launched with this profile can reach S3 (and SSM) from their first boot.
  depends_on = [aws_iam_role_policy.instance_s3_read, aws_iam_role_policy_attachment.ssm_core]
}

output "instance_profile_arn" {
  description = "ARN of the instance profile."
  value       = aws_iam_instance_profile.instance.arn
}
