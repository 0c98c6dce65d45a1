# Test fixture, not a product module: a pipeline with a manual approval and the notifications
# around it (SNS topic, its policy for CodeStar Notifications, an email subscription, a
# notification rule on the pipeline), so tests/test_sandbox_notifications.py can drive the real
# hashicorp/aws provider against the emulator's CodeStar Notifications and SNS extensions.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.72, < 7.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

resource "aws_iam_role" "pipeline" {
  name = "notify-pipeline"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "codepipeline.amazonaws.com" }
    }]
  })
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "cdwizard-notify-artifacts"
}

resource "aws_codecommit_repository" "repo" {
  repository_name = "notify-repo"
}

resource "aws_codepipeline" "pipeline" {
  name     = "notify-pipeline"
  role_arn = aws_iam_role.pipeline.arn

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        RepositoryName       = aws_codecommit_repository.repo.repository_name
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Approve-production"
    action {
      name     = "Approve"
      category = "Approval"
      owner    = "AWS"
      provider = "Manual"
      version  = "1"
      configuration = {
        CustomData         = "Approve deployment to production?"
        ExternalEntityLink = "https://example.com/release"
      }
    }
  }
}

resource "aws_sns_topic" "notifications" {
  name = "notify-notifications"
}

data "aws_iam_policy_document" "notifications" {
  statement {
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.notifications.arn]
    principals {
      type        = "Service"
      identifiers = ["codestar-notifications.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic_policy" "notifications" {
  arn    = aws_sns_topic.notifications.arn
  policy = data.aws_iam_policy_document.notifications.json
}

resource "aws_sns_topic_subscription" "ops" {
  topic_arn = aws_sns_topic.notifications.arn
  protocol  = "email"
  endpoint  = "ops@example.com"
}

resource "aws_codestarnotifications_notification_rule" "pipeline" {
  name        = "notify-pipeline"
  resource    = aws_codepipeline.pipeline.arn
  detail_type = "FULL"
  event_type_ids = [
    "codepipeline-pipeline-pipeline-execution-failed",
    "codepipeline-pipeline-pipeline-execution-succeeded",
    "codepipeline-pipeline-manual-approval-needed",
  ]

  target {
    address = aws_sns_topic.notifications.arn
  }

  tags = { Project = "notify" }

  depends_on = [aws_sns_topic_policy.notifications]
}

output "rule_arn" {
  value = aws_codestarnotifications_notification_rule.pipeline.arn
}

output "subscription_arn" {
  value = aws_sns_topic_subscription.ops.arn
}
