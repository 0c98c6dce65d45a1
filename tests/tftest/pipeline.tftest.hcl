# terraform test (plan only, mocked provider) of modules/pipeline: today's Source/Deploy stages
# without environments; with them Approve-<env> (manual approval) and Deploy-<env> stages in
# order, and a role that may deploy to exactly the listed groups.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  # the role's documents must parse as policies; their statements are asserted on below
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name                 = "shop"
  role_name            = "shop-codepipeline"
  artifact_bucket_name = "shop-artifacts"
  artifact_bucket_arn  = "arn:aws:s3:::shop-artifacts"
  repository_name      = "shop"
  branch               = "main"
  application_name     = "shop"
  application_arn      = "arn:aws:codedeploy:eu-west-1:123456789012:application:shop"
  region               = "eu-west-1"
  account_id           = "123456789012"
}

run "single_environment_as_today" {
  command = plan

  variables {
    deployment_group_name = "shop-dg"
    deployment_group_arn  = "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/shop-dg"
  }

  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == ["Source", "Deploy"]
    error_message = "stages Source, Deploy"
  }

  assert {
    condition     = aws_codepipeline.this.stage[1].action[0].name == "Deploy" && aws_codepipeline.this.stage[1].action[0].configuration == tomap({ ApplicationName = "shop", DeploymentGroupName = "shop-dg" })
    error_message = "the Deploy action deploys to the group"
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.permissions.statement : s.resources if s.sid == "DeployGroup"][0] == toset(["arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/shop-dg"])
    error_message = "the role deploys to that group only"
  }
}

run "environments_with_an_approval" {
  command = plan

  variables {
    environments = [
      {
        name                  = "staging"
        deployment_group_name = "shop-staging-dg"
        deployment_group_arn  = "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/shop-staging-dg"
        approval              = false
        approval_message      = "Approve deployment to staging?"
        approval_url          = null
      },
      {
        name                  = "production"
        deployment_group_name = "shop-production-dg"
        deployment_group_arn  = "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/shop-production-dg"
        approval              = true
        approval_message      = "Ship it?"
        approval_url          = "https://staging.example.com"
      },
    ]
  }

  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == ["Source", "Deploy-staging", "Approve-production", "Deploy-production"]
    error_message = "stages in order, the approval before production"
  }

  assert {
    condition = (
      aws_codepipeline.this.stage[2].action[0].name == "Approve"
      && aws_codepipeline.this.stage[2].action[0].category == "Approval"
      && aws_codepipeline.this.stage[2].action[0].owner == "AWS"
      && aws_codepipeline.this.stage[2].action[0].provider == "Manual"
      && aws_codepipeline.this.stage[2].action[0].version == "1"
      && aws_codepipeline.this.stage[2].action[0].configuration == tomap({ CustomData = "Ship it?", ExternalEntityLink = "https://staging.example.com" })
    )
    error_message = "the manual approval action"
  }

  assert {
    condition     = aws_codepipeline.this.stage[1].action[0].configuration["DeploymentGroupName"] == "shop-staging-dg" && aws_codepipeline.this.stage[3].action[0].configuration["DeploymentGroupName"] == "shop-production-dg"
    error_message = "each Deploy-<env> deploys to its own group"
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.permissions.statement : s.resources if s.sid == "DeployGroup"][0] == toset(["arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/shop-staging-dg", "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/shop-production-dg"])
    error_message = "the role deploys to every listed group and no other"
  }
}

run "approval_without_url" {
  command = plan

  variables {
    environments = [{
      name                  = "prod"
      deployment_group_name = "shop-prod-dg"
      deployment_group_arn  = "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/shop-prod-dg"
      approval              = true
      approval_message      = "Approve deployment to prod?"
      approval_url          = null
    }]
  }

  assert {
    condition     = aws_codepipeline.this.stage[1].action[0].configuration == tomap({ CustomData = "Approve deployment to prod?" })
    error_message = "no ExternalEntityLink without a URL"
  }
}
