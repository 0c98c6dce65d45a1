# The S3 source of the pipeline: a versioned bucket holding the zipped revision (created here:
# private, encrypted, owner-enforced, EventBridge notifications on), or an existing bucket read by
# its name. Every new version of the object key is a new revision of the source.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Only the pipeline and `cdwizard ship` touch this bucket; access logs would need a second bucket. Turn on CloudTrail S3 data events for an object-level audit.
  #checkov:skip=CKV_AWS_144:The source zip is re-uploaded by every ship; cross-region replication would double storage for no recovery value.
  #checkov:skip=CKV2_AWS_61:Every version of the source object is a released revision you may want to ship again; the pipeline's copies in the artifact bucket expire there.
  count = var.create ? 1 : 0

  bucket        = var.bucket_name
  force_destroy = var.force_destroy
}

data "aws_s3_bucket" "existing" {
  count = var.create ? 0 : 1

  bucket = var.bucket_name
}

resource "aws_s3_bucket_public_access_block" "this" {
  count  = var.create ? 1 : 0
  bucket = aws_s3_bucket.this[0].id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count  = var.create ? 1 : 0
  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count  = var.create ? 1 : 0
  bucket = aws_s3_bucket.this[0].id

  rule {
    apply_server_side_encryption_by_default {
      # The AWS managed aws/s3 key: the pipeline role reads the object through S3 without grants.
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  count  = var.create ? 1 : 0
  bucket = aws_s3_bucket.this[0].id

  # CodePipeline's S3 source action reads a versioned bucket only.
  versioning_configuration {
    status = "Enabled"
  }
}

# S3 sends the bucket's events (Object Created among them) straight to EventBridge, where the
# events module's rule starts the pipeline: no CloudTrail trail needed (see the README).
resource "aws_s3_bucket_notification" "this" {
  count  = var.create && var.eventbridge ? 1 : 0
  bucket = aws_s3_bucket.this[0].id

  eventbridge = true
}

locals {
  name = var.create ? aws_s3_bucket.this[0].id : data.aws_s3_bucket.existing[0].id
  arn  = var.create ? aws_s3_bucket.this[0].arn : data.aws_s3_bucket.existing[0].arn
}
