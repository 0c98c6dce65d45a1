"""Pipelines and deployments that run in the sandbox: a lazy, clock-driven simulation.

moto records pipeline executions as immediately "Succeeded" and leaves CodeDeploy deployments
"Created" forever. This extension makes them behave like AWS, with no threads: when an execution
reaches a stage or a deployment is created, its schedule is computed from its inputs and stored
as plain data on moto's objects (so the launcher's saved state keeps it, and a later process sees
the run finished); every read computes the state at the current time from that schedule.

What the sandbox simulates:

- CodePipeline: executions start on CreatePipeline, StartPipelineExecution and a push to the
  source branch (CreateCommit/CreateBranch in the CodeCommit extension's content model:
  CloudWatchEvent when the source has `PollForSourceChanges` false, else
  PollForSourceChanges a few seconds later; like AWS, a polling pipeline without a run for 30
  days stops polling, and GetPipeline reports `pollingDisabledAt`);
  stage locks of the SUPERSEDED execution mode (QUEUED and PARALLEL are not emulated: cdwizard's
  pipelines never use them); GetPipelineExecution, ListPipelineExecutions, GetPipelineState,
  ListActionExecutions, StopPipelineExecution (stop or abandon), RetryStageExecution
  (FAILED_ACTIONS; not ALL_ACTIONS, which cdwizard never asks for). The CodeCommit source reads the
  branch from the CodeCommit content model and fails with CodePipeline's message when it does
  not exist; it zips the commit into the artifact bucket (moto S3). The CodeDeploy action deploys
  that object to its own DeploymentGroupName (a pipeline runs any number of Deploy stages, one
  after another). A manual approval (Approval/Manual) waits with a token (GetPipelineState) until
  PutApprovalResult approves (the next stage follows) or rejects it (action, stage and execution
  fail); the sandbox never times it out (AWS fails it after 7 days). Other action providers are
  not emulated (they report success and say so).
- CodeDeploy: CreateDeployment (also directly), Get/BatchGet/ListDeployments, the deployment target
  APIs and StopDeployment. Targets are the running EC2 instances the group's tags select when the
  deployment starts; OneAtATime/HalfAtATime/AllAtOnce pace them by the minimum-healthy-hosts rule
  (`wizard.core.deployment_config`); NO_INSTANCES and HEALTH_CONSTRAINTS fail deployments with AWS's
  messages; a failed (or stopped, when asked) deployment rolls back to the last successful revision
  when the group's automatic rollback is on.
- The agent, per instance (`_delivery.agent`): the revision's real appspec and scripts decide
  ScriptMissing, an invalid appspec, shell syntax errors (`bash -n`/`sh -n`, exit code 2) and the
  ApplicationStop trap (the previous successful revision's stop script). **Hooks are never
  executed**: `cdwizard rehearse` runs them for real on this machine.
- SSM SendCommand on those instances answers reads of the agent's `scripts.log` (the monitor's
  full-log fetch) with the simulated log.
- The agent's first-boot install (`_delivery.agent_install`): an instance launched with
  cdwizard's user_data gets its agent a few (paced) seconds after launch; its console shows the
  user_data's progress markers, and a deployment waits for the agent before its events start.
- Elastic Load Balancing, for a deployment group with traffic control (`_delivery.traffic`):
  BlockTraffic drains and deregisters each instance from the group's target groups, AllowTraffic
  registers it again and it turns healthy (or, when the load balancer cannot reach it, stays
  unhealthy and AllowTraffic fails); DescribeTargetHealth shows draining/unused/initial/healthy
  as the deployment proceeds.

Pace: `CDWIZARD_SANDBOX_PACE` scales every duration (default 1: a single-instance run takes about
20 s; 0 makes runs finish as they start). Tests replace the clock with `set_clock`.
"""

from __future__ import annotations

from collections.abc import Callable

from wizard.services.sandbox.extensions._delivery.clock import PACE_ENV, now, set_clock
from wizard.services.sandbox.extensions._delivery.world import enabled, set_enabled

__all__ = [
    "PACE_ENV",
    "catch_up",
    "enabled",
    "install",
    "now",
    "set_clock",
    "set_enabled",
    "use_clock",
]


def catch_up(account: str, region: str) -> None:
    """Perform every milestone due by now in one account and region. Any API call does this
    first; a change made outside the emulator (a git push to the sandbox's bare repository)
    calls it before, so what was due (say, the Source action of the run CreatePipeline started
    in an earlier command) runs against the repository as it was, as it would have on AWS."""
    if not enabled():
        return
    from wizard.services.sandbox.extensions._delivery import pipeline
    from wizard.services.sandbox.extensions._delivery.world import LOCK, World

    with LOCK:
        pipeline.advance(World(account, region), now())


def use_clock(clock: Callable[[], float] | None) -> None:
    """Test seam: every schedule and read uses `clock()` (epoch seconds); None: real time."""
    set_clock(clock)


def install() -> None:
    """Patch moto's CodePipeline, CodeDeploy, CodeCommit and SSM handlers (idempotent) and
    switch the simulation on (`set_enabled(False)` turns it off: plain moto behaviour)."""
    from moto.codedeploy.responses import CodeDeployResponse
    from moto.codepipeline.responses import CodePipelineResponse
    from moto.elbv2.responses import ELBV2Response

    from wizard.services.sandbox.extensions._delivery import (
        agent_install,
        codedeploy_api,
        codepipeline_api,
        elb_api,
        events_hook,
        pushes,
        ssm,
    )
    from wizard.services.sandbox.extensions._delivery.api import install_handlers

    set_enabled(True)
    install_handlers(CodePipelineResponse, codepipeline_api.HANDLERS)
    install_handlers(CodeDeployResponse, codedeploy_api.HANDLERS)
    install_handlers(ELBV2Response, elb_api.HANDLERS)
    codepipeline_api.install_create_trigger()
    codepipeline_api.install_polling_metadata()
    pushes.install()
    events_hook.install()
    ssm.install()
    agent_install.install()
