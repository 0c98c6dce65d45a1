"""The real hashicorp/aws provider against the sandbox, on a fixture config with one resource of
each kind a shim exists for (tests/data/sandbox_tf/main.tf): create, re-plan clean, update the
deployment group in place, destroy, nothing left. Independent of the product's modules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wizard.core.answers import default_answers
from wizard.core.events.terraform import TfCommandFinished, TfDiagnostic
from wizard.core.progress import replay
from wizard.core.render import render
from wizard.services.sandbox import sandbox_render_context
from wizard.services.sandbox.launcher import Sandbox
from wizard.services.terraform.binary import probe
from wizard.services.terraform.commands import DESTROY_PLAN_FILE
from wizard.services.terraform.runner import TerraformRunner, terraform_env

FIXTURE = Path(__file__).parent / "data" / "sandbox_tf" / "main.tf"

pytestmark = [pytest.mark.slow, pytest.mark.terraform, pytest.mark.mirror]


async def run(events) -> list:
    out = [e async for e in events]
    errors = [e.summary() for e in out if isinstance(e, TfDiagnostic) and e.severity == "error"]
    assert isinstance(out[-1], TfCommandFinished)
    assert out[-1].exit_code in (0, 2), errors
    return out


async def test_every_shimmed_resource_round_trips(
    tmp_path: Path, terraform_bin: str, tf_cli_config: Path
) -> None:
    shutil.copy(FIXTURE, tmp_path / "main.tf")
    for rel, rendered in render(default_answers(), sandbox=sandbox_render_context()).items():
        if rel in ("terraform/sandbox_override.tf", "terraform/sandbox_variables.tf"):
            (tmp_path / Path(rel).name).write_bytes(rendered.content)
    with Sandbox(log_file=tmp_path / "sandbox.log") as box:
        env = terraform_env(cli_config=tf_cli_config, extra=box.terraform_env())
        runner = TerraformRunner(tmp_path, probe(terraform_bin), env=env)
        await run(runner.init())
        await run(runner.plan())
        applied = await run(runner.apply())
        assert replay(applied).counts().done == 11
        assert runner.last is not None and runner.last.exit_code == 0

        clean = await run(runner.plan())
        assert clean[-1].exit_code == 0  # no perpetual diff (loadBalancerInfo, timestamps)

        runner.env["TF_VAR_deployment_config"] = "CodeDeployDefault.AllAtOnce"
        await run(runner.plan())
        updated = await run(runner.apply())  # UpdateDeploymentGroup
        assert replay(updated).counts().done == 1
        group = box.clients.client("codedeploy").get_deployment_group(
            applicationName="shim-app", deploymentGroupName="shim-dg"
        )["deploymentGroupInfo"]
        assert group["deploymentConfigName"] == "CodeDeployDefault.AllAtOnce"
        described = box.clients.client("ec2").describe_instances()["Reservations"]
        assert described[0]["Instances"][0]["Monitoring"]["State"] == "enabled"

        await run(runner.plan(destroy=True, out=DESTROY_PLAN_FILE))
        await run(runner.apply(plan=DESTROY_PLAN_FILE))  # as `cdwizard destroy` does
        c = box.clients
        assert c.client("codedeploy").list_applications()["applications"] == []
        assert c.client("codepipeline").list_pipelines()["pipelines"] == []
        cc = c.client("codecommit")
        with pytest.raises(cc.exceptions.RepositoryDoesNotExistException):
            cc.get_repository(repositoryName="shim-repo")
        assert not [r for r in c.client("iam").list_roles()["Roles"] if "shim" in r["RoleName"]]
        assert c.client("ssm").list_associations()["Associations"] == []
        states = [
            i["State"]["Name"]
            for r in c.client("ec2").describe_instances()["Reservations"]
            for i in r["Instances"]
        ]
        assert set(states) <= {"terminated"}
