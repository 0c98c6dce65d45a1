# CodeDeploy application and in-place deployment group selecting instances by one tag, with
# traffic control through a load balancer's target group when one is given.

resource "aws_codedeploy_app" "this" {
  name             = var.application_name
  compute_platform = "Server"
}

resource "aws_codedeploy_deployment_group" "this" {
  app_name               = aws_codedeploy_app.this.name
  deployment_group_name  = var.deployment_group_name
  service_role_arn       = var.service_role_arn
  deployment_config_name = var.deployment_config_name

  deployment_style {
    deployment_type   = "IN_PLACE"
    deployment_option = var.target_group_name == null ? "WITHOUT_TRAFFIC_CONTROL" : "WITH_TRAFFIC_CONTROL"
  }

  # BlockTraffic deregisters each instance from this target group before ApplicationStop;
  # AllowTraffic registers it again after ValidateService.
  dynamic "load_balancer_info" {
    for_each = var.target_group_name == null ? [] : [var.target_group_name]
    content {
      target_group_info {
        name = load_balancer_info.value
      }
    }
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
