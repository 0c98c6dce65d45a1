# Notifications: an SNS topic (created here, or an existing one), email subscriptions, and AWS
# CodeStar Notifications rules on the pipeline (run failed / succeeded, manual approval needed)
# and on the CodeDeploy application (deployment failed).

locals {
  create_topic = var.topic_arn == null
  topic_arn    = local.create_topic ? aws_sns_topic.this[0].arn : var.topic_arn

  # Event type ids of the Developer Tools console's notification rules.
  pipeline_event_ids = {
    failed    = "codepipeline-pipeline-pipeline-execution-failed"
    succeeded = "codepipeline-pipeline-pipeline-execution-succeeded"
    approval  = "codepipeline-pipeline-manual-approval-needed"
  }
  deployment_event_ids = {
    deployment_failed = "codedeploy-application-deployment-failed"
  }
  pipeline_events   = [for e in var.events : local.pipeline_event_ids[e] if contains(keys(local.pipeline_event_ids), e)]
  deployment_events = [for e in var.events : local.deployment_event_ids[e] if contains(keys(local.deployment_event_ids), e)]
}

resource "aws_sns_topic" "this" {
  #checkov:skip=CKV_AWS_26:CodeStar Notifications cannot publish to a topic encrypted with the AWS managed aws/sns key; a customer managed key would add a billed key and its policy for event summaries that carry no secrets.
  count = local.create_topic ? 1 : 0

  name = var.topic_name
}

# Only for a topic created here: an existing topic's policy is its owner's (see the answers'
# help: it must already let codestar-notifications.amazonaws.com publish).
data "aws_iam_policy_document" "topic" {
  count = local.create_topic ? 1 : 0

  statement {
    sid     = "CodeStarNotificationsPublish"
    actions = ["sns:Publish"]

    principals {
      type        = "Service"
      identifiers = ["codestar-notifications.amazonaws.com"]
    }

    resources = [aws_sns_topic.this[0].arn]
  }
}

resource "aws_sns_topic_policy" "this" {
  count = local.create_topic ? 1 : 0

  arn    = aws_sns_topic.this[0].arn
  policy = data.aws_iam_policy_document.topic[0].json
}

# Each address gets a confirmation email from AWS; nothing is delivered until it is confirmed
# (until then the subscription shows as "pending confirmation").
resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.emails)

  topic_arn = local.topic_arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_codestarnotifications_notification_rule" "pipeline" {
  count = length(local.pipeline_events) > 0 ? 1 : 0

  name           = "${var.name_prefix}-pipeline"
  resource       = var.pipeline_arn
  detail_type    = "FULL"
  event_type_ids = local.pipeline_events

  target {
    type    = "SNS"
    address = local.topic_arn
  }

  # The rule checks that it may publish to the topic when it is created.
  depends_on = [aws_sns_topic_policy.this]
}

resource "aws_codestarnotifications_notification_rule" "deployments" {
  count = length(local.deployment_events) > 0 ? 1 : 0

  name           = "${var.name_prefix}-deployments"
  resource       = var.application_arn
  detail_type    = "FULL"
  event_type_ids = local.deployment_events

  target {
    type    = "SNS"
    address = local.topic_arn
  }

  depends_on = [aws_sns_topic_policy.this]
}
