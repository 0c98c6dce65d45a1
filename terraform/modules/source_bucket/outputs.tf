output "bucket_name" {
  description = "Name of the source bucket."
  value       = local.name

  # The first ship uploads right after apply: hand the bucket out fully configured.
  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
    aws_s3_bucket_notification.this,
  ]
}

output "bucket_arn" {
  description = "ARN of the source bucket."
  value       = local.arn
}

output "created" {
  description = "Whether this stack created the bucket (destroy deletes it and every version in it)."
  value       = var.create
}
