# terraform test (plan only, mocked provider) of modules/notifications: which topic, policy,
# subscriptions and rules (with which event type ids) each kind of answers produces.

mock_provider "aws" {}

variables {
  name_prefix     = "shop"
  topic_name      = "shop-notifications"
  emails          = ["ops@example.com", "dev@example.com"]
  pipeline_arn    = "arn:aws:codepipeline:eu-west-1:123456789012:shop"
  application_arn = "arn:aws:codedeploy:eu-west-1:123456789012:application:shop"
}

run "created_topic_all_events" {
  command = plan

  assert {
    condition     = length(aws_sns_topic.this) == 1 && aws_sns_topic.this[0].name == "shop-notifications"
    error_message = "a topic is created when topic_arn is null"
  }

  assert {
    condition     = length(aws_sns_topic_policy.this) == 1
    error_message = "the created topic gets the codestar-notifications publish policy"
  }

  assert {
    condition     = one(data.aws_iam_policy_document.topic[0].statement[0].principals).identifiers == toset(["codestar-notifications.amazonaws.com"])
    error_message = "only codestar-notifications.amazonaws.com may publish"
  }

  assert {
    condition     = data.aws_iam_policy_document.topic[0].statement[0].actions == toset(["sns:Publish"])
    error_message = "the policy grants sns:Publish only"
  }

  assert {
    condition     = toset(keys(aws_sns_topic_subscription.email)) == toset(["ops@example.com", "dev@example.com"]) && alltrue([for s in aws_sns_topic_subscription.email : s.protocol == "email"])
    error_message = "one email subscription per address"
  }

  assert {
    condition     = aws_codestarnotifications_notification_rule.pipeline[0].event_type_ids == toset(["codepipeline-pipeline-pipeline-execution-failed", "codepipeline-pipeline-pipeline-execution-succeeded", "codepipeline-pipeline-manual-approval-needed"])
    error_message = "pipeline rule: run failed, run succeeded, manual approval needed"
  }

  assert {
    condition     = aws_codestarnotifications_notification_rule.pipeline[0].resource == var.pipeline_arn && aws_codestarnotifications_notification_rule.pipeline[0].name == "shop-pipeline"
    error_message = "the pipeline rule watches the pipeline"
  }

  assert {
    condition     = aws_codestarnotifications_notification_rule.deployments[0].event_type_ids == toset(["codedeploy-application-deployment-failed"]) && aws_codestarnotifications_notification_rule.deployments[0].resource == var.application_arn
    error_message = "deployments rule: deployment failed, on the application"
  }
}

run "existing_topic_some_events" {
  command = plan

  variables {
    topic_arn = "arn:aws:sns:eu-west-1:123456789012:deployments"
    emails    = []
    events    = ["approval"]
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && length(aws_sns_topic_policy.this) == 0
    error_message = "an existing topic is neither created nor its policy changed"
  }

  assert {
    condition     = one(aws_codestarnotifications_notification_rule.pipeline[0].target).address == "arn:aws:sns:eu-west-1:123456789012:deployments"
    error_message = "the rule targets the existing topic"
  }

  assert {
    condition     = aws_codestarnotifications_notification_rule.pipeline[0].event_type_ids == toset(["codepipeline-pipeline-manual-approval-needed"])
    error_message = "only the chosen event"
  }

  assert {
    condition     = length(aws_codestarnotifications_notification_rule.deployments) == 0 && length(aws_sns_topic_subscription.email) == 0
    error_message = "no deployments rule without deployment_failed, no subscriptions without emails"
  }
}

run "unknown_event_is_refused" {
  command = plan

  variables {
    events = ["done"]
  }

  expect_failures = [var.events]
}
