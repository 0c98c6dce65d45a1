# One environment's in-place deployment group of an existing CodeDeploy application, selecting
# that environment's instances by one tag.

resource "aws_codedeploy_deployment_group" "this" {
  app_name               = var.application_name
  deployment_group_name  = var.deployment_group_name
  service_role_arn       = var.service_role_arn
  deployment_config_name = var.deployment_config_name

  deployment_style {
    deployment_type   = "IN_PLACE"
    deployment_option = "WITHOUT_TRAFFIC_CONTROL"
  }

  # A tag set (AND across groups) rather than ec2_tag_filter (OR); one group, one filter.
  ec2_tag_set {
    ec2_tag_filter {
      key   = var.tag_key
      type  = "KEY_AND_VALUE"
      value = var.tag_value
    }
  }

  # Always present, enabled or not: without the block nothing is sent, so switching rollback
  # off would leave it on in AWS and the plan would never settle.
  auto_rollback_configuration {
    enabled = var.rollback_on_failure
    events  = ["DEPLOYMENT_FAILURE"]
  }

  tags = var.group_tags
}
