# The CodeDeploy application alone (compute platform Server), for a stack whose deployment
# groups are one per environment (modules/deployment_group). Its address matches the codedeploy
# module's, so a stack that gains environments keeps its application.

resource "aws_codedeploy_app" "this" {
  name             = var.application_name
  compute_platform = "Server"
}
