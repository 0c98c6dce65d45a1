"""The shared fixtures work: moto server over HTTP, clients from AwsClients, the mirror config."""

from __future__ import annotations

import subprocess
from pathlib import Path

from wizard.services.aws.session import AwsClients


def test_moto_server_speaks_http_to_boto3(aws_target) -> None:
    clients = AwsClients(aws_target)
    cc = clients.client("codecommit")
    cc.create_repository(repositoryName="demo")
    meta = cc.get_repository(repositoryName="demo")["repositoryMetadata"]
    assert meta["repositoryName"] == "demo"
    assert clients.client("codecommit") is cc


def test_moto_state_is_reset_between_tests(aws_target) -> None:
    ec2 = AwsClients(aws_target).client("ec2")
    assert ec2.describe_instances()["Reservations"] == []
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)


def test_moto_state_is_reset_between_tests_again(aws_target) -> None:
    ec2 = AwsClients(aws_target).client("ec2")
    assert ec2.describe_instances()["Reservations"] == []


def test_mirror_cli_config_lets_terraform_init_offline(
    tf_env: dict[str, str], terraform_bin: str, tmp_path: Path
) -> None:
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
    )
    proc = subprocess.run(
        [terraform_bin, "init", "-input=false", "-no-color"],
        cwd=tmp_path,
        env=tf_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "hashicorp/aws" in proc.stdout
    assert "Unable to open CLI configuration file" not in proc.stderr
