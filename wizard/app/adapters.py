"""The real services behind the TUI's protocols (no textual here).

- `AwsDiscovery`: `wizard.services.aws.discovery` and `.clashes` over `AwsClients`;
- `explain_text`: `wizard.core.deployment_config` in a few plain lines;
- `SandboxSession`: the embedded emulator for the whole wizard run (started in the background,
  so the first screen never waits for it), handed to terraform while it plans and applies;
- `workflow_factory`: the terraform `Workflow` as the TUI's `Runner`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.app.ports import Clash, ConnectionChoice, Finding, FleetSummary, Identity
from wizard.core.answers import AnswersError, to_nested, validate_mapping
from wizard.core.deployment_config import explain_config

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.core.events.base import Event
    from wizard.core.events.terraform import PlanSummary, RunReport
    from wizard.core.progress import Progress
    from wizard.services.aws.session import AwsClients, AwsTarget
    from wizard.services.sandbox.launcher import Sandbox
    from wizard.services.terraform.workflow import Workflow

ClientsSource = Callable[[], "AwsClients"]


class AwsAccountDiscovery:
    """`AccountDiscovery` for one account and region."""

    def __init__(self, clients: ClientsSource, out: Path) -> None:
        self._clients = clients
        self.out = Path(out)
        self._account: str | None = None

    @property
    def clients(self) -> AwsClients:
        return self._clients()

    def identity(self) -> Identity:
        from wizard.services.aws import discovery

        found = discovery.caller_identity(self.clients)
        self._account = found.account
        return Identity(account=found.account, arn=found.arn)

    def regions(self) -> Sequence[str]:
        from wizard.services.aws import discovery

        return list(discovery.list_regions(self.clients).names)

    def repositories(self) -> Sequence[str]:
        from wizard.services.aws import discovery

        return [r.name for r in discovery.list_repositories(self.clients)]

    def branches(self, repository: str) -> Sequence[str]:
        from wizard.services.aws import discovery
        from wizard.services.aws.errors import DiscoveryError

        try:
            return list(discovery.list_branches(self.clients, repository).branches)
        except DiscoveryError as exc:
            if exc.kind == "not_found":
                return []  # the Source step already says the repository does not exist
            raise

    def connections(self, provider: str) -> Sequence[ConnectionChoice]:
        from wizard.services.aws.connections import list_connections

        return [
            ConnectionChoice(c.arn, c.name, c.provider_type, c.status)
            for c in list_connections(self.clients, provider)
        ]

    def match_instances(self, tag_key: str, tag_value: str) -> FleetSummary:
        from wizard.services.aws import discovery
        from wizard.services.aws.errors import DiscoveryError

        clients = self.clients
        match = discovery.match_instances(clients, tag_key, tag_value)
        online: int | None = None
        if match.instances:
            try:
                fleet = discovery.fleet_readiness(clients, match.instances)
            except DiscoveryError:
                online = None  # no SSM permission: say "unknown", not "offline"
            else:
                online = sum(1 for i in fleet.instances if i.agent.online)
        return FleetSummary(
            tag_key=tag_key,
            tag_value=tag_value,
            instance_ids=tuple(i.instance_id for i in match.instances),
            with_profile=sum(1 for i in match.instances if i.profile_arn),
            ssm_online=online,
            total=match.count,
        )

    def clashes(self, answers: Mapping[str, Any]) -> Sequence[Clash]:
        from wizard.services.aws import clashes

        try:
            valid = validate_mapping(to_nested(answers))
        except AnswersError:
            return []  # names are checked once the answers hold together
        planned = clashes.planned_resources(valid, self._account)
        managed = clashes.managed_names_in(self.out / "terraform" / "terraform.tfstate")
        found = clashes.find_existing(self.clients, planned, managed=managed)
        return [
            Clash(
                key=item.planned.field,
                kind=clashes.KIND_LABELS[item.planned.kind],
                name=item.planned.name,
                detail=item.detail,
            )
            for item in found
            if item.exists and item.terraform_creates
        ]

    def target_checks(self, answers: Mapping[str, Any]) -> Sequence[Finding]:
        from wizard.services.aws.preflight import targets_preflight

        try:
            valid = validate_mapping(to_nested(answers))
        except AnswersError:
            return []  # checked once the answers hold together
        return [
            Finding(c.name, c.title, c.status.value, c.detail, c.fix)
            for c in targets_preflight(valid, self.clients)
        ]


class AwsDiscovery:
    """`Discovery` for a real account (profiles from the AWS config) or the sandbox."""

    def __init__(self, out: Path, sandbox: SandboxSession | None = None) -> None:
        self.out = Path(out)
        self.sandbox = sandbox

    def profiles(self) -> Sequence[str]:
        if self.sandbox is not None:
            return []
        from wizard.services.aws import discovery

        return list(discovery.list_profiles())

    def connect(self, profile: str | None, region: str) -> AwsAccountDiscovery:
        if self.sandbox is not None:
            return AwsAccountDiscovery(self.sandbox.clients, self.out)
        from wizard.services.aws.session import AwsClients
        from wizard.services.aws.target import target_for

        clients = AwsClients(target_for(region, profile), max_attempts=3)
        return AwsAccountDiscovery(lambda: clients, self.out)


def explain_text(config: str, instances: int) -> str:
    """The deployment-config explainer for the Deployment step's aside."""

    found = explain_config(config, instances)
    lines = [found.headline, "", *found.lines]
    if found.warnings:
        lines += ["", *(f"! {w}" for w in found.warnings)]
    return "\n".join(lines)


class SandboxSession:
    """One emulator for the whole wizard (moto allows one per process).

    Started in a background thread at launch; discovery waits for it from its own threads.
    terraform's workflow uses the same running emulator (`box()`), so its endpoint never changes
    and the monitor can watch what the apply created.
    """

    def __init__(self, out: Path, region: str = "eu-west-1") -> None:
        from wizard.services.sandbox import LOG_FILE, STATE_FILE

        self.out = Path(out)
        self.region = region
        self.state_file = self.out / STATE_FILE
        self.log_file = self.out / LOG_FILE
        self._box: Sandbox | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.error: BaseException | None = None

    def start_in_background(self) -> None:
        threading.Thread(target=self._start, name="cdwizard-sandbox", daemon=True).start()

    def _start(self) -> None:
        from wizard.services.sandbox.launcher import Sandbox

        with self._lock:
            try:
                box = Sandbox.for_workspace(self.out, self.region)
                box.start()
                self._box, self.error = box, None
            except BaseException as exc:  # shown by the lookups that need it
                self.error = exc
            finally:
                self._ready.set()

    def clients(self) -> AwsClients:
        """The emulator's clients, once it is up (blocks the calling worker thread)."""
        return self.box().clients

    def box(self) -> Sandbox:
        """The running `Sandbox`, once it is up (blocks the calling worker thread)."""
        if not self._ready.wait(60):
            raise TimeoutError("the sandbox did not start within 60 seconds")
        if self._box is None:
            raise self.error or RuntimeError("the sandbox is not running")
        return self._box

    @property
    def target(self) -> AwsTarget | None:
        return self._box.target if self._box is not None else None

    def stop(self) -> None:
        self._ready.wait(60)
        with self._lock:
            box, self._box = self._box, None
        if box is not None:
            box.stop()


class WorkflowRunner:
    """The terraform `Workflow` as the TUI's `Runner`, sharing the wizard's sandbox."""

    def __init__(self, flow: Workflow, sandbox: SandboxSession | None) -> None:
        self.flow = flow
        self.sandbox = sandbox

    @property
    def progress(self) -> Progress:
        return self.flow.progress

    @property
    def exit_code(self) -> int:
        return int(self.flow.exit_code)

    @property
    def summary(self) -> PlanSummary | None:
        return self.flow.summary

    @property
    def report(self) -> RunReport | None:
        return self.flow.report

    def start(self) -> None:
        if self.sandbox is not None:
            self.flow.share_sandbox(self.sandbox.box())
        self.flow.start()

    async def prepare(self) -> PlanSummary:
        return await self.flow.prepare()

    async def apply(self) -> int:
        return int(await self.flow.apply())

    def interrupt(self) -> None:
        self.flow.interrupt()

    def close(self) -> None:
        self.flow.close()  # saves the shared sandbox's state; it keeps running


def workflow_factory(
    *, sandbox: SandboxSession | None, mirror: Path | None
) -> Callable[..., WorkflowRunner]:
    """Makes a `WorkflowRunner` for validated answers (the `RunnerFactory` of the App)."""

    def make(
        answers: Answers, out: Path, emit: Callable[[Event], None], *, adopt: bool = False
    ) -> WorkflowRunner:
        from wizard.app.persist import answers_path
        from wizard.services.terraform.workflow import Options, Workflow

        answers_file = answers_path(out)  # where the wizard saves them
        # the same workspace and target: without --out a later command would use the default one
        where = f"--out {out}" + (" --sandbox" if sandbox else "")
        target = f"--answers {answers_file} {where}"
        options = Options(
            answers=answers,
            out=Path(out),
            sandbox=sandbox is not None,
            mirror=mirror,
            rerun_apply=f"cdwizard apply {target}" + (" --adopt" if adopt else ""),
            rerun_destroy=f"cdwizard destroy {target}",
            rerun_leftovers=f"cdwizard leftovers {target}",
            rerun=f"cdwizard {where}",  # the wizard resumes at Review with the saved answers
            adopt=adopt,
        )
        return WorkflowRunner(Workflow(options, emit=emit), sandbox)

    return make
