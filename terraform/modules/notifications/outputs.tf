output "topic_arn" {
  description = "ARN of the SNS topic the notifications go to (created here or existing)."
  value       = local.topic_arn
}

output "rule_arns" {
  description = "ARNs of the notification rules (pipeline, then deployments; only those with events)."
  value       = concat(aws_codestarnotifications_notification_rule.pipeline[*].arn, aws_codestarnotifications_notification_rule.deployments[*].arn)
}

output "subscription_arns" {
  description = "Email -> subscription ARN ('pending confirmation' until the address confirms)."
  value       = { for email, sub in aws_sns_topic_subscription.email : email => sub.arn }
}
