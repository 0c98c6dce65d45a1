"""Every check `cdwizard doctor` runs, declared once: its name and title (the preflight runs
them in this order), when it passes, the fix it prints, and what to make sure of before the first
real deployment. The README's doctor table and its "Before your first real deployment" checklist
are generated from here (`python -m wizard.core.checklist`), and a test keeps them identical.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckSpec:
    name: str
    title: str
    #: when the check passes (the doctor table)
    passes: str
    #: the fix it prints when it does not
    fix: str
    #: the checklist line: what must hold on the real account
    before: str


CHECK_SPECS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "credentials",
        "AWS credentials",
        "STS `GetCallerIdentity` answers",
        "`aws configure` / `aws sso login [--profile P]`; a missing profile, an expired SSO "
        "session, rejected keys and no network each get their own message",
        "credentials for the account you mean (`aws sts get-caller-identity` names it)",
    ),
    CheckSpec(
        "region",
        "Region",
        "the region exists, is enabled for the account, and botocore lists CodeCommit, "
        "CodeDeploy, CodePipeline, EC2, S3 and SSM there",
        "enable the opt-in region or pick another",
        "an enabled region that offers CodeCommit, CodeDeploy and CodePipeline",
    ),
    CheckSpec(
        "terraform",
        "Terraform",
        "`terraform` ≥ 1.5 (≥ 1.10 with the s3 backend) or `tofu` is found: `terraform.binary`, "
        "then `$CDWIZARD_TERRAFORM`, then PATH",
        "install links for Terraform and OpenTofu",
        "Terraform ≥ 1.5 (or OpenTofu) on this machine",
    ),
    CheckSpec(
        "provider",
        "AWS provider",
        "`--provider-mirror` / `$CDWIZARD_PROVIDER_MIRROR` holds hashicorp/aws ≥ 5.72, < 7 for "
        "this platform, or the registry offers such a version",
        "`terraform providers mirror DIR` on a connected machine, then `--provider-mirror DIR`",
        "hashicorp/aws ≥ 5.72, < 7 from the registry or a mirror",
    ),
    CheckSpec(
        "state_backend",
        "State backend",
        "with `terraform.backend: s3`, the state bucket exists and is readable (skipped for "
        "local state)",
        "`aws s3 mb s3://BUCKET --region R`, or the permissions to ask for",
        "with the s3 backend, a state bucket you can read and write",
    ),
    CheckSpec(
        "repository",
        "Repository",
        "the CodeCommit repository exists; with `create_repository: true`, the account can "
        "create one",
        "`aws codecommit create-repository …`, or fix the name",
        "the CodeCommit repository exists, or the account may still create one (CodeCommit "
        "closed to new customers in July 2024)",
    ),
    CheckSpec(
        "branch",
        "Branch",
        "the branch exists (a missing branch or an empty repository only warns)",
        "`cdwizard ship`, or one of the branches it lists",
        "the branch exists, or you push it right after apply (`cdwizard ship`): the first run "
        "fails without it",
    ),
    CheckSpec(
        "connection",
        "Connection",
        "with a GitHub, GitLab or Bitbucket source, the CodeConnections connection exists for "
        "that provider and is `AVAILABLE` (one terraform creates passes: it starts `PENDING`; "
        "an existing `PENDING` one warns, `ERROR` fails); skipped for CodeCommit and S3",
        "authorise it where `cdwizard connection` says, reinstall or re-authorise the "
        "provider's app, or fix `source.connection_arn` / `source.provider`",
        "with a GitHub, GitLab or Bitbucket source, the connection authorised (`AVAILABLE`) "
        "before the first run: runs fail at Source until it is",
    ),
    CheckSpec(
        "source_bucket",
        "Source bucket",
        "with an existing S3 source bucket: it exists, is versioned, sends its events to "
        "EventBridge (eventbridge change detection) and holds the object (missing only warns); "
        "passes when terraform creates the bucket",
        "`aws s3api put-bucket-versioning …`, the bucket's EventBridge notifications, "
        "`cdwizard ship` for the object, or `source.create_bucket: true`",
        "with an S3 source, a versioned bucket that sends EventBridge events and holds the zip "
        "(or cdwizard creates it and `cdwizard ship` uploads it)",
    ),
    CheckSpec(
        "polling",
        "Polling",
        "with `change_detection: poll`, the pipeline still polls: AWS disables polling "
        "(`pollingDisabledAt`) after 30 days without a run; warns a week before",
        "switch `source.change_detection` to eventbridge; meanwhile a release change runs it",
        "with `change_detection: poll`, a release at least every 30 days (or eventbridge "
        "instead): AWS stops polling an idle pipeline",
    ),
    CheckSpec(
        "instances",
        "Target instances",
        "pending or running instances carry exactly the tag, or cdwizard creates them",
        "`aws ec2 create-tags … Key=K,Value=V`, or `targets.create_instance: true`",
        "instances carry the tag, or cdwizard creates them",
    ),
    CheckSpec(
        "deployment_config",
        "Deployment config",
        "the config can deploy to that many instances (HalfAtATime cannot deploy to a single one)",
        "use `CodeDeployDefault.OneAtATime`",
        "a deployment config that can deploy to that many instances",
    ),
    CheckSpec(
        "instance_profile",
        "Instance profiles",
        "every matched instance has an instance profile",
        "`aws ec2 associate-iam-instance-profile …`",
        "every instance you already run has an instance profile",
    ),
    CheckSpec(
        "instance_role",
        "Instance roles",
        "the role of every matched instance may `s3:GetObject` and `s3:GetObjectVersion` on the "
        "artifact bucket (`iam:SimulatePrincipalPolicy`, else its policies and boundary read and "
        "evaluated), or `targets.extend_role` names it",
        "`targets.extend_role: ROLE`, or the exact `aws iam put-role-policy …` with the scoped "
        "read policy; an explicit Deny must go",
        "the roles of instances you already run can read the artifact bucket "
        "(`targets.extend_role` grants it)",
    ),
    CheckSpec(
        "ssm_agent",
        "SSM agents",
        "every matched instance has an online SSM agent; a failure with `agent_install: ssm`, "
        "a warning with only `ssm_managed: true`",
        "run the agent and give the role AmazonSSMManagedInstanceCore",
        "with `agent_install: ssm`, an online SSM agent on every instance",
    ),
    CheckSpec(
        "codedeploy_agent",
        "CodeDeploy agents",
        "the agent runs on the matched instances (the console markers of cdwizard's first-boot "
        "install, or the SSM association's status); installing warns, unknown is skipped",
        "wait while it installs; when it failed, read `/var/log/cdwizard-user-data.log`",
        "the CodeDeploy agent runs (or is installing) on the instances; "
        "`agent_install: preinstalled` only with an AMI you built with it",
    ),
    CheckSpec(
        "default_vpc",
        "Default VPC",
        "without `targets.subnet_id`, the region has a default VPC with default subnets",
        "`aws ec2 create-default-vpc --region R`, or set `targets.subnet_id`",
        "a default VPC, or `targets.subnet_id` set",
    ),
    CheckSpec(
        "network",
        "Network",
        "each subnet the instances use reaches CodeDeploy and S3: a `0.0.0.0/0` route to an "
        "internet gateway and public IPs, or to an available NAT gateway; VPC endpoints for "
        "codedeploy, codedeploy-commands-secure and s3 (and SSM's) only warn: apt and pip still "
        "need the internet",
        "`aws ec2 modify-subnet-attribute … --map-public-ip-on-launch`, a NAT gateway route, or "
        "the VPC endpoints",
        "the instances' subnets reach the internet (public IP and internet gateway, or a NAT "
        "gateway)",
    ),
    CheckSpec(
        "clashes",
        "Name clashes",
        "none of the names terraform will create is taken (roles, instance profile, "
        "application, deployment group, pipeline, EventBridge rule, artifact bucket, "
        "repository), unless this workspace's state already manages it",
        "rename (the answers key is named), delete, or take it over with `cdwizard apply "
        "--adopt` when it is adoptable",
        "none of the names cdwizard creates is taken (or what is taken is adoptable)",
    ),
    CheckSpec(
        "leftovers",
        "Leftovers",
        "nothing tagged `cdwizard:project=<project>` exists outside terraform's state (the "
        "workspace's local state, or the s3 backend's object)",
        "`cdwizard leftovers --adopt ID` or `--remove ID`, for each one found",
        "no resource of an earlier, interrupted run is left outside terraform's state",
    ),
)

TABLE_START = "<!-- doctor-checks:start (generated: python -m wizard.core.checklist) -->"
TABLE_END = "<!-- doctor-checks:end -->"
CHECKLIST_START = (
    "<!-- first-deployment-checklist:start (generated: python -m wizard.core.checklist) -->"
)
CHECKLIST_END = "<!-- first-deployment-checklist:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def doctor_table() -> str:
    """The README's table of every doctor check, in the order they run."""
    rows = [TABLE_START, "", "| Check | Passes when | The fix it prints |", "|---|---|---|"]
    rows += [f"| `{s.name}` | {_cell(s.passes)} | {_cell(s.fix)} |" for s in CHECK_SPECS]
    return "\n".join([*rows, "", TABLE_END])


def first_deployment_checklist() -> str:
    """The README's checklist: what must hold on the real account, check by check."""
    lines = [
        CHECKLIST_START,
        "",
        "- [ ] **Answers**: `cdwizard answers check answers.yml` passes (it refuses, for one, "
        "`agent_install: preinstalled` with a stock image alias)",
    ]
    lines += [f"- [ ] **{s.title}** (`{s.name}`): {s.before}" for s in CHECK_SPECS]
    return "\n".join([*lines, "", CHECKLIST_END])


if __name__ == "__main__":  # pragma: no cover
    print(doctor_table())
    print()
    print(first_deployment_checklist())
