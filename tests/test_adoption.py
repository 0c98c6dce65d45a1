"""Adopting what exists: the classification over the moto server (the seed's stack built by hand,
and same-named things that cannot be taken over), the import blocks, where each import goes in a
real plan, and the plan summary of a real import plan."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from tests.adoption_support import SeedStack
from wizard.core.answers import validate_mapping
from wizard.core.render.imports import render_imports
from wizard.services.aws import adoption
from wizard.services.aws.session import AwsClients
from wizard.services.terraform import imports
from wizard.services.terraform.summary import summarize

ACCOUNT = "123456789012"
STREAMS = Path(__file__).parent / "data" / "tf_streams"


def _answers(**sections: Any) -> Any:
    return validate_mapping({"version": 1, "source": {"create_repository": True}, **sections})


@pytest.fixture(scope="module")
def _sandbox() -> Any:
    """One emulator for the module (the sandbox's IAM has AWS's managed policies, which the
    seed attaches), holding the seed's stack; tests that add things use other names."""
    from wizard.services.sandbox.launcher import Sandbox

    box = Sandbox()
    box.start()
    box.reset()
    box.seed = SeedStack().build(box.clients)
    yield box
    box.reset()
    box.stop(save=False)


@pytest.fixture
def clients(_sandbox: Any) -> AwsClients:
    made: AwsClients = _sandbox.clients
    return made


@pytest.fixture
def seed(_sandbox: Any) -> SeedStack:
    built: SeedStack = _sandbox.seed
    return built


OTHER = validate_mapping(
    {
        "version": 1,
        "project": "other",
        "deployment": {"service_role": "other-deploy", "instance_profile": "other-ec2"},
    }
)


def _plan(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((STREAMS / f"sandbox_{name}.json").read_text())
    return data


# --- classification (moto server) ---------------------------------------------------------------


def test_the_seed_stack_is_adoptable_with_its_evidence(
    clients: AwsClients, seed: SeedStack
) -> None:
    found = adoption.classify(clients, _answers(), account=ACCOUNT)
    verdicts = {(i.kind, i.name): i.verdict for i in found.items}
    assert verdicts[("iam_role", "CodeDeployServiceRole")] == "adoptable"
    assert verdicts[("iam_role", "CodeDeployDemo-EC2-Instance-Profile")] == "adoptable"
    assert verdicts[("iam_instance_profile", "CodeDeployDemo-EC2-Instance-Profile")] == "adoptable"
    assert verdicts[("codedeploy_app", "devops-python-service")] == "adoptable"
    assert verdicts[("codedeploy_group", "devops-python-service/devops-python-service-dg")] == (
        "adoptable"
    )
    assert verdicts[("codecommit_repository", "devops-python-service")] == "adoptable"
    assert verdicts[("ec2_instance", seed.instance_id)] == "adoptable"
    # what the seed does not make is absent: cdwizard creates it
    assert verdicts[("codepipeline", "devops-python-service")] == "absent"
    assert verdicts[("s3_bucket", f"devops-python-service-artifacts-{ACCOUNT}")] == "absent"
    assert found.conflicting == []

    by_name = {i.name: i for i in found.items if i.kind != "iam_instance_profile"}
    role = by_name["CodeDeployServiceRole"]
    assert role.evidence.startswith("trusted by codedeploy.amazonaws.com")
    assert "AWSCodeDeployRole" in role.evidence
    ids = {t.type: t.id for t in role.imports}
    assert ids["aws_iam_role"] == "CodeDeployServiceRole"
    assert ids["aws_iam_role_policy_attachment"] == (
        "CodeDeployServiceRole/arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"
    )
    profile_role = by_name["CodeDeployDemo-EC2-Instance-Profile"]
    inline = [t for t in profile_role.imports if t.type == "aws_iam_role_policy"]
    assert [t.id for t in inline] == [
        "CodeDeployDemo-EC2-Instance-Profile:CodeDeployDemo-EC2-Permissions"
    ]
    group = by_name["devops-python-service/devops-python-service-dg"]
    assert group.imports[0].id == "devops-python-service:devops-python-service-dg"
    assert "belongs to application devops-python-service" in group.evidence
    assert "targets tag Name=devops-python-service" in group.evidence
    instance = by_name[seed.instance_id]
    assert "instance profile CodeDeployDemo-EC2-Instance-Profile" in instance.evidence


def test_what_cannot_be_taken_over_is_conflicting_with_the_key_to_rename(
    clients: AwsClients,
) -> None:
    iam = clients.client("iam")
    lambda_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="other-deploy", AssumeRolePolicyDocument=json.dumps(lambda_trust))
    iam.create_role(RoleName="someone-else", AssumeRolePolicyDocument=json.dumps(lambda_trust))
    iam.create_instance_profile(InstanceProfileName="other-ec2")
    iam.add_role_to_instance_profile(InstanceProfileName="other-ec2", RoleName="someone-else")
    clients.client("codedeploy").create_application(
        applicationName="other", computePlatform="Lambda"
    )
    found = adoption.classify(clients, OTHER, account=ACCOUNT)
    conflicting = {i.label: i for i in found.conflicting}
    role = conflicting["IAM role other-deploy"]
    assert role.evidence == (
        "its trust policy lets lambda.amazonaws.com assume it; cdwizard needs it trusted by "
        "codedeploy.amazonaws.com"
    )
    assert role.field == "deployment.service_role" and role.imports == ()
    profile = conflicting["instance profile other-ec2"]
    assert "it holds the role someone-else" in profile.evidence
    app = conflicting["CodeDeploy application other"]
    assert "compute platform is Lambda" in app.evidence
    fix = found.conflict_fix()
    assert "deployment.service_role" in fix and "deployment.instance_profile" in fix
    assert "deployment.application" in fix


def test_what_the_state_holds_is_managed_not_adoptable(clients: AwsClients) -> None:
    found = adoption.classify(
        clients,
        _answers(),
        account=ACCOUNT,
        managed={
            ("iam_role", "CodeDeployServiceRole"),
            ("codedeploy_app", "devops-python-service"),
        },
    )
    managed = {i.name for i in found.of("managed")}
    assert managed == {"CodeDeployServiceRole", "devops-python-service"}


def test_trust_policies_are_read_in_every_shape() -> None:
    assert adoption.trusted_services(
        {"Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}}
    ) == ["ec2.amazonaws.com"]
    from urllib.parse import quote

    encoded = quote(json.dumps({"Statement": [{"Principal": {"Service": ["a", "b"]}}]}))
    assert adoption.trusted_services(encoded) == ["a", "b"]
    denied = {"Statement": [{"Effect": "Deny", "Principal": {"Service": "x"}}]}
    assert adoption.trusted_services(denied) == []
    assert adoption.trusted_services("not json") == []


# --- imports.tf ---------------------------------------------------------------------------------


def test_import_blocks_escape_ids_and_refuse_non_addresses() -> None:
    text = render_imports(
        [
            ("module.codedeploy.aws_codedeploy_deployment_group.this", "app:group"),
            ("module.instance.aws_instance.this[0]", "i-0123"),
            ("module.iam.aws_iam_role.codedeploy", 'odd"${name}'),
        ]
    )
    assert 'to = module.codedeploy.aws_codedeploy_deployment_group.this\n  id = "app:group"' in text
    assert "to = module.instance.aws_instance.this[0]" in text
    assert 'id = "odd\\"$${name}"' in text  # quoted and inert, like every value in HCL
    for bad in ("data.aws_iam_policy_document.x", "aws_x.y; resource", 'aws_x.y"\n}'):
        with pytest.raises(ValueError, match="not a resource address"):
            render_imports([(bad, "id")])


def test_each_import_goes_where_the_plan_creates_it(clients: AwsClients, seed: SeedStack) -> None:
    found = adoption.classify(clients, _answers(), account=ACCOUNT)
    placed, unplaced = imports.match(_plan("plan"), found.adoptable)
    where = {a.address: a.target.id for a in placed}
    assert where["module.iam.aws_iam_role.codedeploy"] == "CodeDeployServiceRole"
    assert where["module.iam.aws_iam_role_policy_attachment.codedeploy"] == (
        "CodeDeployServiceRole/arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"
    )
    assert where["module.codedeploy.aws_codedeploy_deployment_group.this"] == (
        "devops-python-service:devops-python-service-dg"
    )
    assert where["module.instance.aws_instance.this[0]"] == seed.instance_id
    assert where["module.iam.aws_iam_instance_profile.instance"] == (
        "CodeDeployDemo-EC2-Instance-Profile"
    )
    # the seed's own inline policy has no counterpart in cdwizard's configuration, and the
    # recorded plan (default answers) does not create the repository
    assert [t.id for t in unplaced] == [
        "CodeDeployDemo-EC2-Instance-Profile:CodeDeployDemo-EC2-Permissions",
        "devops-python-service",
    ]


def test_adopted_addresses_are_remembered_until_destroyed(tmp_path: Path) -> None:
    target = adoption.ImportTarget("aws_iam_role", (("name", "r"),), "r", "IAM role r")
    imports.record_adopted(
        tmp_path, [imports.Adoption("module.iam.aws_iam_role.codedeploy", target)]
    )
    assert imports.read_adopted(tmp_path) == {"module.iam.aws_iam_role.codedeploy": "IAM role r"}
    imports.forget_adopted(tmp_path, ["module.iam.aws_iam_role.codedeploy"])
    assert imports.read_adopted(tmp_path) == {}
    assert not (tmp_path / imports.ADOPTED_FILE).exists()
    assert imports.remove_imports(tmp_path) is False


# --- the plan summary ---------------------------------------------------------------------------


def test_an_import_plan_says_what_each_import_changes() -> None:
    s = summarize(_plan("import"))
    assert s.imports == 9 and s.has_changes
    assert (s.add, s.change, s.remove) == (14, 7, 0)
    lines = s.lines()
    role = next(line for line in lines if line.startswith("imports IAM role CodeDeployServiceRole"))
    assert role.startswith(
        "imports IAM role CodeDeployServiceRole (will change: adds tag "
        "cdwizard:project=devops-python-service"
    )
    assert "imports IAM policy AWSCodeDeployRole for role CodeDeployServiceRole" in lines
    assert any(line.startswith("imports EC2 instance i-") for line in lines)
    assert any(
        line.startswith("imports deployment group devops-python-service-dg") for line in lines
    )
    assert not any(line.startswith("updates") for line in lines)  # said by the import lines
    assert s.destructive == ()
    assert "(9 to import, 14 to add, 7 to change, 0 to destroy)" in s.summary()
    wire = s.to_dict()
    assert wire["imports"] == 9
    assert next(i for i in wire["items"] if i["action"] == "imports")["addresses"]


def test_replacing_an_adopted_instance_is_destructive() -> None:
    plan = _plan("import")
    for change in plan["resource_changes"]:
        if change["address"] == "module.instance.aws_instance.this[0]":
            # the same plan had the hand-made instance's root volume been unencrypted
            change["change"]["actions"] = ["delete", "create"]
            change["change"]["replace_paths"] = [["root_block_device", 0, "encrypted"]]
    s = summarize(plan)
    assert s.level == "warn"
    [flag] = s.destructive
    assert flag.startswith("replaces EC2 instance i-") and "which existed before cdwizard" in flag
    assert "changing root_block_device.0.encrypted forces a new one" in flag
    assert any(line.endswith("DESTRUCTIVE") and "will REPLACE it" in line for line in s.lines())


def test_destroy_names_what_existed_before() -> None:
    s = dataclasses.replace(
        summarize(_plan("import"), operation="destroy"),
        existed_before=("IAM role CodeDeployServiceRole", "repository devops-python-service"),
    )
    assert s.lines()[-1] == (
        "2 of these existed before cdwizard (adopted): IAM role CodeDeployServiceRole, "
        "repository devops-python-service"
    )
    assert "2 of these existed before cdwizard" in s.summary()


# --- an apply that fails on a taken name points at --adopt --------------------------------------


def test_already_exists_offers_the_rename_and_the_adoption() -> None:
    from wizard.core.events.terraform import TfDiagnostic
    from wizard.core.next_steps import step_text
    from wizard.services.terraform.diagnose import Situation, answer_names, diagnose

    error = TfDiagnostic(
        severity="error",
        summary_text="creating IAM Role (CodeDeployServiceRole): operation error IAM: CreateRole",
        detail="EntityAlreadyExists: Role with name CodeDeployServiceRole already exists.",
    )
    names = answer_names([("CodeDeployServiceRole", "deployment.service_role")])
    adopt = "cdwizard apply --answers a.yml --adopt"
    found = diagnose(
        [error], Situation(workdir="ws/terraform", rerun="x", names=names, adopt=adopt)
    )
    assert found.cause == "already_exists"
    rename, adopting = found.steps
    assert rename.action == "rename_existing" and rename.key == "deployment.service_role"
    assert adopting.action == "adopt_existing" and adopting.command == adopt
    assert f"`{adopt}` imports what can be taken over" in step_text(adopting)
    # a run that adopts already offers only the rename
    again = diagnose([error], Situation(workdir="ws/terraform", rerun="x", names=names))
    assert [s.action for s in again.steps] == ["rename_existing"]
