# CodePipeline: a source (a CodeCommit branch, a GitHub/GitLab/Bitbucket branch through a
# CodeConnections connection, or an S3 object; always a zipped revision) -> CodeDeploy in-place
# deploy (one Deploy stage, or with environments one Deploy-<env> stage each, optionally after an
# Approve-<env> manual approval), its role, and optionally the CodeCommit repository itself.

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  # codecommit, connection (github, gitlab, bitbucket) or s3
  source_kind    = contains(["github", "gitlab", "bitbucket"], var.source_provider) ? "connection" : var.source_provider
  codecommit     = local.source_kind == "codecommit"
  repository_arn = !local.codecommit ? null : (var.create_repository ? aws_codecommit_repository.this[0].arn : "arn:${local.partition}:codecommit:${var.region}:${var.account_id}:${var.repository_name}")
  clone_url_http = !local.codecommit ? null : (var.create_repository ? aws_codecommit_repository.this[0].clone_url_http : "https://git-codecommit.${var.region}.${data.aws_partition.current.dns_suffix}/v1/repos/${var.repository_name}")

  source_action_provider = {
    codecommit = "CodeCommit"
    connection = "CodeStarSourceConnection"
    s3         = "S3"
  }[local.source_kind]
  source_configuration = (
    local.source_kind == "codecommit" ? tomap({
      RepositoryName       = var.repository_name
      BranchName           = var.branch
      PollForSourceChanges = var.poll_for_source_changes ? "true" : "false"
      OutputArtifactFormat = "CODE_ZIP"
    })
    : local.source_kind == "s3" ? tomap({
      S3Bucket             = var.source_bucket_name
      S3ObjectKey          = var.source_object_key
      PollForSourceChanges = var.poll_for_source_changes ? "true" : "false"
    })
    : tomap(merge(
      {
        ConnectionArn        = var.connection_arn
        FullRepositoryId     = var.full_repository_id
        BranchName           = var.branch
        OutputArtifactFormat = "CODE_ZIP"
      },
      # V2 pipelines start on the push trigger below; V1 ones through the connection itself.
      var.pipeline_type == "V1" ? { DetectChanges = "true" } : {},
    ))
  )

  # The stages after Source, in order: today's single Deploy, or per environment an optional
  # manual approval then its deploy. Each stage has one action.
  deploy_action = {
    category        = "Deploy"
    provider        = "CodeDeploy"
    input_artifacts = ["SourceArtifact"]
  }
  approval_action = {
    category        = "Approval"
    provider        = "Manual"
    input_artifacts = []
  }
  stages = var.environments == null ? [
    merge(local.deploy_action, {
      name          = "Deploy"
      action        = "Deploy"
      configuration = tomap({ ApplicationName = var.application_name, DeploymentGroupName = var.deployment_group_name })
    })
    ] : flatten([
      for env in var.environments : concat(
        env.approval ? [merge(local.approval_action, {
          name   = "Approve-${env.name}"
          action = "Approve"
          configuration = tomap(merge(
            { CustomData = env.approval_message },
            env.approval_url == null ? {} : { ExternalEntityLink = env.approval_url },
          ))
        })] : [],
        [merge(local.deploy_action, {
          name          = "Deploy-${env.name}"
          action        = "Deploy"
          configuration = tomap({ ApplicationName = var.application_name, DeploymentGroupName = env.deployment_group_name })
        })],
      )
  ])
  # Every group the pipeline deploys to, and nothing else.
  deployment_group_arns = var.environments == null ? [var.deployment_group_arn] : [for env in var.environments : env.deployment_group_arn]
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

  dynamic "statement" {
    for_each = local.codecommit ? [local.repository_arn] : []

    content {
      sid = "SourceRepository"
      actions = [
        "codecommit:CancelUploadArchive",
        "codecommit:GetBranch",
        "codecommit:GetCommit",
        "codecommit:GetRepository",
        "codecommit:GetUploadArchiveStatus",
        "codecommit:UploadArchive",
      ]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.source_kind == "connection" ? [var.connection_arn] : []

    content {
      sid = "SourceConnection"
      # The action's service prefix must be the connection ARN's own (IAM matches them).
      actions   = ["${split(":", statement.value)[2]}:UseConnection"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.source_kind == "s3" ? [var.source_bucket_arn] : []

    content {
      sid       = "SourceBucket"
      actions   = ["s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.source_kind == "s3" ? ["${var.source_bucket_arn}/${var.source_object_key}"] : []

    content {
      sid = "SourceObject"
      actions = [
        "s3:GetObject",
        "s3:GetObjectTagging",
        "s3:GetObjectVersion",
        "s3:GetObjectVersionTagging",
      ]
      resources = [statement.value]
    }
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
    resources = local.deployment_group_arns
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
      provider         = local.source_action_provider
      version          = "1"
      namespace        = "SourceVariables"
      output_artifacts = ["SourceArtifact"]

      configuration = local.source_configuration
    }
  }

  dynamic "stage" {
    for_each = local.stages

    content {
      name = stage.value.name

      action {
        name            = stage.value.action
        category        = stage.value.category
        owner           = "AWS"
        provider        = stage.value.provider
        version         = "1"
        input_artifacts = stage.value.input_artifacts

        configuration = stage.value.configuration
      }
    }
  }

  # A V2 pipeline with a connection source starts on a push to the branch (and only to it).
  dynamic "trigger" {
    for_each = local.source_kind == "connection" && var.pipeline_type == "V2" ? [var.branch] : []

    content {
      provider_type = "CodeStarSourceConnection"

      git_configuration {
        source_action_name = "Source"

        push {
          branches {
            includes = [trigger.value]
          }
        }
      }
    }
  }

  # The pipeline starts its first run the moment it exists: its role must be able to act, and
  # the instances (and the SSM association installing their agent) must exist, or the first
  # deployment finds no instances. CodeDeploy then waits up to an hour for each agent.
  depends_on = [aws_iam_role_policy.this, var.deploy_targets]
}
