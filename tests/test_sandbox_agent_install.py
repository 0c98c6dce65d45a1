"""The first run races the agent: instances cdwizard launches install their CodeDeploy agent at
first boot, and a deployment that reaches them first waits for it. The sandbox simulates the
install (console markers, the wait) and the monitor says "agent not yet running on i-…
(installing since …)" until the agent runs. Over HTTP against the moto server, on a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import REPO
from tests.sandbox_delivery_support import FakeClock, Stack, payload, run_until
from wizard.core.events.lifecycle import AgentStatusChanged
from wizard.services.aws.agents import agent_health
from wizard.services.aws.monitor.monitor import FollowSpec, Monitor
from wizard.services.sandbox.extensions._delivery.agent_install import AGENT_INSTALL_SECONDS

USER_DATA = (REPO / "terraform" / "modules" / "instance" / "user_data.sh.tftpl").read_text()


def sim_now(clock: FakeClock) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(clock.t, UTC)


def console(stack: Stack, instance_id: str) -> str:
    out = stack.client("ec2").get_console_output(InstanceId=instance_id, Latest=True)
    return str(out["Output"])


def test_a_deployment_waits_for_an_installing_agent_and_the_monitor_says_so(
    stack: Stack, sim_clock: FakeClock
) -> None:
    stack.create(instances=0, pipeline=False)
    [instance] = stack.launch(1, user_data=USER_DATA)  # as the instance module launches them
    launched = sim_clock.t
    assert "cdwizard-agent: installing at" in console(stack, instance)
    assert "cdwizard-agent: running" not in console(stack, instance)

    stack.push(payload(marker="1"), "the branch exists before the pipeline")
    role = f"{stack.pipeline}-role"
    stack.create_pipeline(stack.client("iam").get_role(RoleName=role)["Role"]["Arn"])
    monitor = Monitor(stack.clients, FollowSpec(pipeline=stack.pipeline), clock=sim_now(sim_clock))

    def waiting() -> object:
        sim_clock.advance(0.5)
        snapshot = monitor.cycle().snapshot
        return snapshot.deployment is not None and snapshot.waiting_agents

    run_until(sim_clock, waiting, step=0.5, limit=60)
    snapshot = monitor.latest
    assert snapshot is not None and snapshot.deployment is not None
    [agent] = snapshot.waiting_agents
    assert (agent.instance_id, agent.state, agent.source) == (instance, "installing", "console")
    assert agent.since == datetime.fromtimestamp(int(launched), UTC)
    [target] = snapshot.deployment.instances
    assert target.status == "InProgress"
    assert all(c.status.value == "Pending" for c in target.events), "held for the agent"
    waited = (snapshot.taken_at - agent.since).total_seconds()
    assert agent.describe(snapshot.taken_at) == (
        f"agent not yet running on {instance} (installing since {int(waited)} s)"
    )

    # once the agent runs, the events start and the deployment goes through
    updates = []
    while not (
        updates
        and updates[-1].snapshot.outcome is not None
        and updates[-1].snapshot.outcome.result == "succeeded"
    ):
        sim_clock.advance(1)
        updates.append(monitor.cycle())
        assert sim_clock.t - launched < 300, "the deployment never finished"
    assert "cdwizard-agent: running at" in console(stack, instance)
    assert sim_clock.t - launched >= AGENT_INSTALL_SECONDS * 0.8
    assert all(not u.snapshot.agents for u in updates[-1:])
    (found,) = agent_health(stack.clients, [instance])
    assert found.state == "running" and found.source == "console"


def test_the_agent_status_is_one_line_per_change(stack: Stack, sim_clock: FakeClock) -> None:
    stack.create(instances=0, pipeline=False)
    [instance] = stack.launch(1, user_data=USER_DATA)
    stack.push(payload(marker="1"), "first")
    role = stack.client("iam").get_role(RoleName=f"{stack.pipeline}-role")["Role"]["Arn"]
    stack.create_pipeline(role)
    monitor = Monitor(stack.clients, FollowSpec(pipeline=stack.pipeline), clock=sim_now(sim_clock))
    said: list[AgentStatusChanged] = []
    for _ in range(120):
        sim_clock.advance(0.5)
        update = monitor.cycle()
        said += [e for e in update.events if isinstance(e, AgentStatusChanged)]
        if update.snapshot.outcome is not None:
            break
    assert len(said) == 1, [e.summary() for e in said]  # not one per poll while it installs
    assert said[0].instance_id == instance and said[0].state == "installing"
    assert said[0].summary().startswith(f"agent not yet running on {instance} (installing since")
    assert said[0].summary().endswith("CodeDeploy holds the deployment for it (up to an hour)")


def test_preinstalled_and_ssm_installed_agents(stack: Stack, sim_clock: FakeClock) -> None:
    stack.create(instances=0, pipeline=False)
    [plain] = stack.launch(1)  # no cdwizard user_data: an agent of your own image, unseen
    (found,) = agent_health(stack.clients, [plain])
    assert (found.state, found.source) == ("unknown", "launch")
    ssm = stack.client("ssm")
    ssm.create_association(
        Name="AWS-ConfigureAWSPackage",
        AssociationName="demo-codedeploy-agent",
        Parameters={"action": ["Install"], "name": ["AWSCodeDeployAgent"]},
        Targets=[{"Key": "tag:App", "Values": ["demo"]}],
    )
    (found,) = agent_health(stack.clients, [plain])
    assert (found.state, found.source) == ("running", "ssm")


def test_doctor_tells_an_installing_agent_from_a_running_one(
    stack: Stack,
    sim_clock: FakeClock,
    tmp_path: Path,
) -> None:
    from tests.test_preflight import layout_mirror
    from wizard.core.answers import validate_mapping
    from wizard.core.events.preflight import CheckStatus, PreflightCheck
    from wizard.services.aws.preflight import PreflightOptions, run_preflight

    stack.create(instances=0, pipeline=False)
    [instance] = stack.launch(1, user_data=USER_DATA)
    answers = validate_mapping(
        {
            "version": 1,
            "project": "demo",
            "targets": {
                "tag_key": "App",
                "tag_value": "demo",
                "create_instance": False,
                "agent_install": "preinstalled",
            },
        }
    )
    options = PreflightOptions(provider_mirror=layout_mirror(tmp_path))

    def check() -> PreflightCheck:
        return run_preflight(answers, stack.clients, options).by_name("codedeploy_agent")

    installing = check()
    assert installing.status is CheckStatus.WARN
    assert installing.detail.startswith(f"agent not yet running on {instance} (installing since")
    assert "waits for the agent (up to an hour)" in (installing.fix or "")
    sim_clock.advance(AGENT_INSTALL_SECONDS * 2)
    running = check()
    assert running.status is CheckStatus.OK and running.detail == f"running on {instance}"
