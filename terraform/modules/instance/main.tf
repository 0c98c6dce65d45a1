# The deployment targets: EC2 instances carrying the tag the deployment group selects, and the
# CodeDeploy agent on them (first-boot user_data or an SSM State Manager association).

data "aws_partition" "current" {}

locals {
  ami_is_alias = !startswith(var.ami, "ami-")

  # Graviton families carry a "g" after the generation digit (t4g, m7g, c6gn, x2gd) or are a1.
  arm64 = can(regex("^([a-z]+[0-9]+[a-z]*g[a-z]*|a1)\\.", var.instance_type))

  # Public parameters AWS and Canonical keep pointing at the current image.
  ubuntu_arch = local.arm64 ? "arm64" : "amd64"
  al2023_arch = local.arm64 ? "arm64" : "x86_64"
  ami_parameters = {
    "ubuntu-22.04"      = "/aws/service/canonical/ubuntu/server/22.04/stable/current/${local.ubuntu_arch}/hvm/ebs-gp2/ami-id"
    "ubuntu-24.04"      = "/aws/service/canonical/ubuntu/server/24.04/stable/current/${local.ubuntu_arch}/hvm/ebs-gp3/ami-id"
    "amazon-linux-2023" = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${local.al2023_arch}"
  }

  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    region     = var.region
    dns_suffix = data.aws_partition.current.dns_suffix
  })
}

data "aws_ssm_parameter" "ami" {
  count = local.ami_is_alias && var.instance_count > 0 ? 1 : 0

  name = local.ami_parameters[var.ami]
}

resource "aws_instance" "this" {
  #checkov:skip=CKV_AWS_135:Current instance types are EBS-optimized by default, and forcing it makes RunInstances fail for types without the option (t2).
  count = var.instance_count

  ami                    = local.ami_is_alias ? data.aws_ssm_parameter.ami[0].insecure_value : var.ami
  instance_type          = var.instance_type
  subnet_id              = var.subnet_id
  vpc_security_group_ids = var.security_group_ids
  iam_instance_profile   = var.instance_profile_name
  monitoring             = var.detailed_monitoring
  user_data              = var.agent_install == "user_data" ? local.user_data : null

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    encrypted             = true
    delete_on_termination = true
  }

  tags = merge(
    { Name = "${var.name_prefix}-${count.index + 1}" },
    { (var.tag_key) = var.tag_value },
  )

  lifecycle {
    # An alias resolves to a newer image every few weeks; that must not replace running
    # deployment targets. `terraform apply -replace=...` picks up a new image on purpose.
    ignore_changes = [ami]
  }
}

resource "aws_ssm_association" "codedeploy_agent" {
  count = var.agent_install == "ssm" ? 1 : 0

  association_name    = "${var.name_prefix}-codedeploy-agent"
  name                = "AWS-ConfigureAWSPackage"
  schedule_expression = var.agent_update_schedule

  parameters = {
    action = "Install"
    name   = "AWSCodeDeployAgent"
  }

  targets {
    key    = "tag:${var.tag_key}"
    values = [var.tag_value]
  }
}
