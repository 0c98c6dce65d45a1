# The pipeline's CodeConnections connection to GitHub, GitLab or Bitbucket: created here (it starts
# PENDING until somebody authorises it once in the console), or an existing one read by its ARN.
#
# Created through the CodeStar Connections API (aws_codestarconnections_connection, in every
# provider version cdwizard supports); AWS renamed the service CodeConnections in 2024 and both
# APIs serve the same connections. An existing connection may carry either ARN prefix.

data "aws_partition" "current" {}

resource "aws_codestarconnections_connection" "this" {
  count = var.connection_arn == null ? 1 : 0

  name          = var.name
  provider_type = var.provider_type
}

data "aws_codestarconnections_connection" "existing" {
  count = var.connection_arn == null ? 0 : 1

  arn = var.connection_arn
}

locals {
  arn    = var.connection_arn == null ? aws_codestarconnections_connection.this[0].arn : var.connection_arn
  status = var.connection_arn == null ? aws_codestarconnections_connection.this[0].connection_status : data.aws_codestarconnections_connection.existing[0].connection_status
  name   = var.connection_arn == null ? aws_codestarconnections_connection.this[0].name : data.aws_codestarconnections_connection.existing[0].name

  # arn:PARTITION:SERVICE:REGION:ACCOUNT:connection/ID -- IAM wants the action's service prefix
  # to be the ARN's own (codestar-connections or codeconnections).
  parts   = split(":", local.arn)
  service = local.parts[2]
  id      = element(split("/", local.parts[5]), 1)
  console = data.aws_partition.current.partition == "aws-cn" ? "console.amazonaws.cn" : (data.aws_partition.current.partition == "aws-us-gov" ? "console.amazonaws-us-gov.com" : "console.aws.amazon.com")
}
