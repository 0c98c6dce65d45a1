# Test fixture, not a product module: one resource of each kind the sandbox shims exist for, so
# tests/test_sandbox_provider.py can drive the real hashicorp/aws provider against the emulator
# before (and independently of) the real modules in terraform/modules/.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.72, < 7.0"
    }
  }
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "deployment_config" {
  type    = string
  default = "CodeDeployDefault.OneAtATime"
}

variable "bucket" {
  type    = string
  default = "cdwizard-shim-artifacts"
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "cdwizard-shims" }
  }
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "codedeploy_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  name               = "shim-codedeploy"
  assume_role_policy = data.aws_iam_policy_document.codedeploy_trust.json
}

resource "aws_iam_role_policy_attachment" "codedeploy" {
  role       = aws_iam_role.codedeploy.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSCodeDeployRole"
}

resource "aws_iam_role" "pipeline" {
  name = "shim-pipeline"
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
  bucket        = var.bucket
  force_destroy = false
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_codecommit_repository" "repo" {
  repository_name = "shim-repo"
}

resource "aws_codedeploy_app" "app" {
  name             = "shim-app"
  compute_platform = "Server"
}

resource "aws_codedeploy_deployment_group" "group" {
  app_name               = aws_codedeploy_app.app.name
  deployment_group_name  = "shim-dg"
  service_role_arn       = aws_iam_role.codedeploy.arn
  deployment_config_name = var.deployment_config

  deployment_style {
    deployment_option = "WITHOUT_TRAFFIC_CONTROL"
    deployment_type   = "IN_PLACE"
  }

  ec2_tag_set {
    ec2_tag_filter {
      key   = "Name"
      type  = "KEY_AND_VALUE"
      value = "shim"
    }
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE"]
  }

  tags = { ManagedBy = "codedeploy" }

  depends_on = [aws_iam_role_policy_attachment.codedeploy]
}

resource "aws_codepipeline" "pipeline" {
  name          = "shim-pipeline"
  role_arn      = aws_iam_role.pipeline.arn
  pipeline_type = "V2"

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
        BranchName           = "master"
        PollForSourceChanges = "false"
        OutputArtifactFormat = "CODE_ZIP"
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Deploy"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "CodeDeploy"
      version         = "1"
      input_artifacts = ["source"]
      configuration = {
        ApplicationName     = aws_codedeploy_app.app.name
        DeploymentGroupName = aws_codedeploy_deployment_group.group.deployment_group_name
      }
    }
  }
}

resource "aws_instance" "web" {
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  monitoring    = true

  metadata_options {
    http_tokens = "required"
  }

  root_block_device {
    encrypted   = true
    volume_size = 16
    volume_type = "gp3"
  }

  tags = { Name = "shim" }
}

resource "aws_ssm_association" "agent" {
  name = "AWS-ConfigureAWSPackage"
  parameters = {
    action = "Install"
    name   = "AWSCodeDeployAgent"
  }
  targets {
    key    = "tag:Name"
    values = ["shim"]
  }
}

output "account_id" {
  value = data.aws_caller_identity.current.account_id
}

output "deployment_group_arn" {
  value = aws_codedeploy_deployment_group.group.arn
}
