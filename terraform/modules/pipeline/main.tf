# CodePipeline: CodeCommit source (zipped revision) -> CodeDeploy in-place deploy, its role,
# and optionally the CodeCommit repository itself.

data "aws_partition" "current" {}

locals {
  partition      = data.aws_partition.current.partition
  repository_arn = var.create_repository ? aws_codecommit_repository.this[0].arn : "arn:${local.partition}:codecommit:${var.region}:${var.account_id}:${var.repository_name}"
  clone_url_http = var.create_repository ? aws_codecommit_repository.this[0].clone_url_http : "https://git-codecommit.${var.region}.${data.aws_partition.current.dns_suffix}/v1/repos/${var.repository_name}"
}

resource "aws_codecommit_repository" "this" {
  #checkov:skip=CKV2_AWS_37:Pushes go straight to the pipeline branch; approval rules belong to a pull-request workflow whose approvers cdwizard cannot know.
  count = var.create_repository ? 1 : 0

  repository_name = var.repository_name
  description     = "Source of the ${var.name} pipeline (created by cdwizard)."
}

# --- role ------------------------------------------------------------------------------------

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "CodePipelineAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                  = var.role_name
  description           = "Assumed by CodePipeline ${var.name}."
  assume_role_policy    = data.aws_iam_policy_document.trust.json
  force_detach_policies = true
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid       = "ArtifactBucket"
    actions   = ["s3:GetBucketLocation", "s3:GetBucketVersioning"]
    resources = [var.artifact_bucket_arn]
  }

  statement {
    sid       = "ArtifactObjects"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${var.artifact_bucket_arn}/*"]
  }

  statement {
    sid = "SourceRepository"
    actions = [
      "codecommit:CancelUploadArchive",
      "codecommit:GetBranch",
      "codecommit:GetCommit",
      "codecommit:GetRepository",
      "codecommit:GetUploadArchiveStatus",
      "codecommit:UploadArchive",
    ]
    resources = [local.repository_arn]
  }

  statement {
    sid = "DeployApplication"
    actions = [
      "codedeploy:GetApplication",
      "codedeploy:GetApplicationRevision",
      "codedeploy:RegisterApplicationRevision",
    ]
    resources = [var.application_arn]
  }

  statement {
    sid       = "DeployGroup"
    actions   = ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"]
    resources = [var.deployment_group_arn]
  }

  statement {
    sid       = "DeployConfig"
    actions   = ["codedeploy:GetDeploymentConfig"]
    resources = ["arn:${local.partition}:codedeploy:${var.region}:${var.account_id}:deploymentconfig:*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "CodePipelineSourceAndDeploy"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

# --- pipeline --------------------------------------------------------------------------------

resource "aws_codepipeline" "this" {
  #checkov:skip=CKV_AWS_219:Artifacts are encrypted with the AWS managed aws/s3 KMS key; a customer managed key would add a billed key, a key policy and grants for a demo-sized pipeline.
  name          = var.name
  role_arn      = aws_iam_role.this.arn
  pipeline_type = var.pipeline_type

  artifact_store {
    location = var.artifact_bucket_name
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
      namespace        = "SourceVariables"
      output_artifacts = ["SourceArtifact"]

      configuration = {
        RepositoryName       = var.repository_name
        BranchName           = var.branch
        PollForSourceChanges = var.poll_for_source_changes ? "true" : "false"
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
      input_artifacts = ["SourceArtifact"]

      configuration = {
        ApplicationName     = var.application_name
        DeploymentGroupName = var.deployment_group_name
      }
    }
  }

  # The pipeline starts its first run the moment it exists: its role must be able to act, and
  # the instances (and the SSM association installing their agent) must exist, or the first
  # deployment finds no instances. CodeDeploy then waits up to an hour for each agent.
  depends_on = [aws_iam_role_policy.this, var.deploy_targets]
}
