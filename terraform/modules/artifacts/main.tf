# The pipeline's artifact store: private, encrypted, versioned, owner-enforced. Every pipeline run
# writes new keys, so the lifecycle rule expires current artifacts too (not only superseded
# versions); otherwise storage only grows.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Only CodePipeline and CodeDeploy touch this bucket; access logs would need a second bucket. Turn on CloudTrail S3 data events for an object-level audit.
  #checkov:skip=CKV_AWS_144:Artifacts are build intermediates re-created by every pipeline run; cross-region replication would double storage for no recovery value.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events from the artifact bucket.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      # The AWS managed aws/s3 key: usable by every principal of the account through S3, so
      # the pipeline role and the instance role need no key grants.
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-old-artifacts"
    status = "Enabled"

    # The whole bucket. An empty `filter {}` warns on provider 5.86-5.9x ("No attribute
    # specified when one (and only one) of ... is required"); an empty prefix is the same rule.
    filter {
      prefix = ""
    }

    # A current artifact becomes a noncurrent version (behind a delete marker) after this many
    # days; S3 removes the delete marker once the version itself is gone.
    expiration {
      days = var.current_version_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_upload_days
    }
  }

  # Lifecycle rules apply to versions, so set them once versioning is on.
  depends_on = [aws_s3_bucket_versioning.this]
}
