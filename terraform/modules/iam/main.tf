# IAM for the CodeDeploy EC2/on-premises platform: the service role CodeDeploy assumes, and the
# role + instance profile of the instances the agent runs on.

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
}

# --- CodeDeploy service role ---------------------------------------------------------------

data "aws_iam_policy_document" "codedeploy_trust" {
  statement {
    sid     = "CodeDeployAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  name                  = var.service_role_name
  description           = "Assumed by CodeDeploy to deploy to the tagged EC2 instances."
  assume_role_policy    = data.aws_iam_policy_document.codedeploy_trust.json
  force_detach_policies = true
}

resource "aws_iam_role_policy_attachment" "codedeploy" {
  role       = aws_iam_role.codedeploy.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSCodeDeployRole"
}

# --- EC2 instance role and profile ---------------------------------------------------------

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    sid     = "EC2AssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name                  = var.instance_role_name
  description           = "Role of the instances running the CodeDeploy agent."
  assume_role_policy    = data.aws_iam_policy_document.ec2_trust.json
  force_detach_policies = true
}

data "aws_iam_policy_document" "instance_s3_read" {
  statement {
    sid       = "ReadPipelineArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.artifact_bucket_arn}/*"]
  }

  statement {
    sid       = "ReadCodeDeployResourceKit"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::aws-codedeploy-${var.region}/*"]
  }
}

resource "aws_iam_role_policy" "instance_s3_read" {
  name   = "CodeDeployArtifactsRead"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.instance_s3_read.json
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  count = var.attach_ssm_managed_policy ? 1 : 0

  role       = aws_iam_role.instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

# --- an existing instance role (targets.extend_role) ------------------------------------------
# Instances you already run keep their own instance profile; their role gets read access to this
# stack's artifact bucket, and nothing else. Destroy removes this policy, never the role.

data "aws_iam_policy_document" "artifacts_read" {
  statement {
    sid       = "ReadPipelineArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.artifact_bucket_arn}/*"]
  }
}

resource "aws_iam_role_policy" "extend_role" {
  count = var.extend_role_name == null ? 0 : 1

  name   = var.extend_role_policy_name
  role   = var.extend_role_name
  policy = data.aws_iam_policy_document.artifacts_read.json
}

resource "aws_iam_instance_profile" "instance" {
  name = var.instance_role_name
  role = aws_iam_role.instance.name
}
