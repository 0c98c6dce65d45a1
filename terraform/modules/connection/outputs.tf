output "arn" {
  description = "ARN of the connection (created here or existing)."
  value       = local.arn
}

output "name" {
  description = "Name of the connection."
  value       = local.name
}

output "status" {
  description = "PENDING (authorise it once in the console), AVAILABLE or ERROR, as of the last refresh."
  value       = local.status
}

output "use_connection_action" {
  description = "The IAM action that lets a role use this connection (its ARN's service prefix + :UseConnection)."
  value       = "${local.service}:UseConnection"
}

output "console_url" {
  description = "The connection in the AWS console, where a PENDING connection is authorised."
  value       = "https://${var.region}.${local.console}/codesuite/settings/${var.account_id}/${var.region}/connections/${local.id}?region=${var.region}"
}

output "created" {
  description = "Whether this stack created the connection (destroy deletes it)."
  value       = var.connection_arn == null
}
