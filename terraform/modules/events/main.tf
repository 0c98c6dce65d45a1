# Change detection: an EventBridge rule starts the pipeline when the CodeCommit branch changes,
# or when a new version of the S3 source object is created (the pipeline's source action then
# runs with PollForSourceChanges = false).

locals {
  patterns = {
    codecommit = {
      source        = ["aws.codecommit"]
      "detail-type" = ["CodeCommit Repository State Change"]
      resources     = [var.repository_arn]
      detail = {
        event         = ["referenceCreated", "referenceUpdated"]
        referenceType = ["branch"]
        referenceName = [var.branch]
      }
    }
    # S3 sends these itself once the bucket's EventBridge notifications are on (no trail).
    s3 = {
      source        = ["aws.s3"]
      "detail-type" = ["Object Created"]
      detail = {
        bucket = { name = [var.bucket_name] }
        object = { key = [var.object_key] }
      }
    }
  }
  descriptions = {
    codecommit = "Starts the pipeline on a push to the watched CodeCommit branch."
    s3         = "Starts the pipeline when a new version of the watched S3 object is created."
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  name        = var.name
  description = local.descriptions[var.source_kind]
  state       = "ENABLED"

  event_pattern = jsonencode(local.patterns[var.source_kind])
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "EventBridgeAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                  = var.role_name
  description           = "Assumed by EventBridge rule ${var.name} to start the pipeline."
  assume_role_policy    = data.aws_iam_policy_document.trust.json
  force_detach_policies = true
}

data "aws_iam_policy_document" "start_pipeline" {
  statement {
    sid       = "StartPipeline"
    actions   = ["codepipeline:StartPipelineExecution"]
    resources = [var.pipeline_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "StartPipelineExecution"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.start_pipeline.json
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "codepipeline"
  arn       = var.pipeline_arn
  role_arn  = aws_iam_role.this.arn

  depends_on = [aws_iam_role_policy.this]
}
