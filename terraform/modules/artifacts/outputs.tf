output "bucket_name" {
  description = "Name of the artifact bucket."
  value       = aws_s3_bucket.this.id

  # The pipeline writes artifacts from its first run: hand the bucket out fully configured.
  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
  ]
}

output "bucket_arn" {
  description = "ARN of the artifact bucket."
  value       = aws_s3_bucket.this.arn
}
