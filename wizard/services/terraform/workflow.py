"""render -> init -> plan -> (confirm) -> apply / destroy, as typed events. No UI.

The plain/JSON commands and the TUI drive the same object:

    flow = Workflow(options, emit=sink.emit)     # emit: any callable taking an Event
    flow.start()                                  # sandbox up, terraform found (or WorkflowError)
    summary = await flow.prepare()                # render, init, plan; returns the PlanSummary
    if summary.has_changes and user_agrees(summary):
        await flow.apply()                        # applies exactly that plan
    flow.close()                                  # stops the sandbox, saving its state
    flow.exit_code                                # where it stopped (wizard.core.exitcodes)

`flow.interrupt()` (Ctrl-C, SIGTERM, SIGHUP, a TUI button) forwards one SIGINT to terraform, then
kills on a second call, and stops the flow before its next step; the exit code names the signal
(130, 143, 129). Everything the user should see is an event.

Safety around the run:
- `start()` takes the workspace lock (`wizard.services.workspace_lock`): one process per workspace.
- The sandbox state is saved after every terraform command that can change it, every
  `AUTOSAVE_SECONDS` while one runs, and on `close()` (where no stop signal can cut the save in
  half); a sandbox whose state is older or newer than terraform's is reported when it starts.
- terraform's state files are checked before anything runs (a damaged state or a pending
  errored.tfstate stops the run with the file to restore), and after a failed apply (terraform
  could not save its state: the report gives the recovery, not "terraform keeps what was
  created").
- After apply and destroy, resources carrying the project's tag that terraform's state does not
  know are reported as leftovers, with the commands that adopt or remove each; destroy fails
  while any remain.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shlex
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from wizard.core import signals
from wizard.core.answers import Answers
from wizard.core.connections import status_line
from wizard.core.events.base import Event, Level, LogLine, Notice
from wizard.core.events.terraform import (
    LeftoverItem,
    PlanSummary,
    RunReport,
    TfApplyComplete,
    TfApplyErrored,
    TfCommandStarted,
    TfDiagnostic,
    TfFailure,
    TfOutputs,
    TfProgress,
)
from wizard.core.exitcodes import ExitCode, for_signal
from wizard.core.fserrors import describe as describe_os_error
from wizard.core.next_steps import NextStep
from wizard.core.progress import Progress, reduce
from wizard.core.render import render, write_workspace
from wizard.core.render.workspace import ManifestDamaged
from wizard.services.aws import adoption, leftovers
from wizard.services.aws.clashes import planned_resources
from wizard.services.aws.leftovers import RESOURCE_TYPES
from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.services.terraform import cleanup, commands, imports, statefile
from wizard.services.terraform.binary import TerraformNotFound, find_terraform
from wizard.services.terraform.diagnose import (
    PLUGIN_CACHE_ENV,
    Situation,
    answer_names,
    diagnose,
)
from wizard.services.terraform.imports import read_adopted, remove_imports
from wizard.services.terraform.report import run_report
from wizard.services.terraform.runner import TerraformRunner, terraform_env
from wizard.services.terraform.summary import summarize
from wizard.services.workspace_lock import WorkspaceBusy, WorkspaceLock

T = TypeVar("T")

CLI_CONFIG = ".cdwizard/terraformrc"
#: While terraform runs, the sandbox state is saved this often (when something changed).
AUTOSAVE_SECONDS = 15.0


class WorkflowError(Exception):
    """The flow cannot go on: a message for the user and the exit code that says where.

    `failure` is the `TfFailure` event already emitted when terraform itself failed: its
    diagnostics and next steps are what to show (the message is only its headline)."""

    def __init__(
        self, message: str, code: int, hint: str | None = None, failure: TfFailure | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.hint = hint
        self.failure = failure


@dataclass(frozen=True)
class Options:
    answers: Answers
    out: Path
    sandbox: bool = False
    mirror: Path | None = None
    force_render: bool = False
    #: how the user invoked us, for "what to run next" hints, e.g. "cdwizard apply -a x.yml"
    rerun_apply: str = "cdwizard apply"
    rerun_destroy: str = "cdwizard destroy"
    rerun_leftovers: str = "cdwizard leftovers"
    #: the command that runs this very step again ("cdwizard plan -a x.yml", or the wizard)
    rerun: str = "cdwizard plan"
    #: the command this flow runs for (named to a process the workspace lock refuses)
    command: str = "apply"
    #: `--adopt`: import what exists and can be taken over (imports.tf) instead of creating it
    adopt: bool = False

    @property
    def workdir(self) -> Path:
        return self.out / "terraform"


class Workflow:
    def __init__(self, options: Options, emit: Callable[[Event], None]) -> None:
        self.options = options
        self._shared_sandbox: Any = None
        self._emit_cb = emit
        self.exit_code: int = ExitCode.OK
        self.progress = Progress()
        self.summary: PlanSummary | None = None
        self.report: RunReport | None = None
        #: the root module's outputs of the last terraform command that printed them
        self.outputs: dict[str, Any] = {}
        self.runner: TerraformRunner | None = None
        self.sandbox: Any = None  # wizard.services.sandbox.launcher.Sandbox when --sandbox
        self._interrupted = False
        self._signal: int | None = None
        self._plan_file = commands.PLAN_FILE
        self._destroy_inventory: list[cleanup.Named] = []
        self._buckets: list[str] = []
        self._rules: list[cleanup.Rule] = []
        self._lock: WorkspaceLock | None = None
        self._account: str | None = None
        self._plan: dict[str, Any] = {}
        self._save_warned: set[Any] = set()
        #: the error diagnostics of the terraform command running (or last run)
        self._errors: list[TfDiagnostic] = []
        #: what `--adopt` imports in this run (`wizard.services.terraform.imports.Adoption`)
        self.adoptions: list[Any] = []
        #: without --adopt: how many existing resources --adopt would import
        self.adoptable = 0

    # --- plumbing -----------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        self.progress = reduce(self.progress, event)
        if isinstance(event, TfCommandStarted):
            self._errors = []
        elif isinstance(event, TfDiagnostic) and event.severity == "error":
            self._errors.append(event)
        self._emit_cb(event)
        if isinstance(event, (TfApplyComplete, TfApplyErrored)) and not event.is_data_read:
            counts = self.progress.counts()
            self._emit_cb(
                TfProgress(
                    operation=self.progress.command or "apply",
                    done=counts.done,
                    total=counts.total,
                    running=counts.running,
                    failed=counts.failed,
                )
            )

    def notice(self, text: str, hint: str | None = None, level: Level = "info") -> None:
        self.emit(Notice(text=text, hint=hint, level=level))

    def report_emulator_faults(self) -> None:
        """One warning line per new emulator failure (the sandbox's), as soon as it is seen."""
        line = self.sandbox.describe_faults() if self.sandbox is not None else None
        if line:
            self.notice(
                line,
                "the failing call is the emulator's, not your configuration's: run with the "
                "locked moto (README, Dependencies) and report it if it persists",
                level="warn",
            )

    def share_sandbox(self, box: Any) -> None:
        """Use an emulator that is already running (the wizard's) for `options.sandbox` instead
        of starting one; `close()` then saves its state and leaves it running. Before `start()`."""
        self._shared_sandbox = box

    def interrupt(self, signum: int = signal.SIGINT) -> None:
        """Ctrl-C (or SIGTERM, SIGHUP): forward to terraform (first), kill it (second); no
        further steps start. The first signal decides the exit code."""
        self._interrupted = True
        if self._signal is None:
            self._signal = int(signum)
        if self.runner is not None:
            self.runner.interrupt(signum)

    @property
    def interrupted(self) -> bool:
        return self._interrupted

    @property
    def stop_code(self) -> int:
        """The exit code of a stopped run: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
        return for_signal(self._signal or signal.SIGINT)

    def _fail(self, code: int, message: str, hint: str | None = None) -> WorkflowError:
        self.exit_code = code
        return WorkflowError(message, code, hint)

    # --- steps --------------------------------------------------------------------------------

    def start(self) -> None:
        """Take the workspace lock, start the sandbox (if asked), find terraform. Raises
        `WorkflowError`."""
        answers = self.options.answers
        self._take_lock()
        try:
            binary = find_terraform(answers.terraform.binary)
        except TerraformNotFound as exc:
            raise self._fail(ExitCode.TOOL_MISSING, str(exc)) from None
        self.notice(f"using {binary.describe()}")
        extra: dict[str, str | None] = {}
        if self.options.sandbox:
            extra.update(self._start_sandbox())
        cli_config = None
        if self.options.mirror is not None:
            from wizard.services.terraform.cliconfig import write_cli_config

            target = self.options.out / CLI_CONFIG
            try:
                cli_config = write_cli_config(target, Path(self.options.mirror))
            except (OSError, ValueError) as exc:
                self.close()
                if isinstance(exc, OSError) and str(exc.filename or "").startswith(
                    str(target.parent)
                ):  # writing our own CLI config failed: a file error, not a bad mirror
                    problem = describe_os_error(exc, target)
                    raise self._fail(
                        ExitCode.FILE_ERROR, problem.message("write"), problem.fix
                    ) from None
                raise self._fail(
                    ExitCode.USAGE,
                    f"--provider-mirror {self.options.mirror}: {exc}",
                    "point it at a folder laid out as "
                    "<mirror>/registry.terraform.io/hashicorp/aws/… "
                    "(`terraform providers mirror DIR` makes one)",
                ) from None
            self.notice(f"providers from the mirror {self.options.mirror}")
            if _same_folder(os.environ.get(PLUGIN_CACHE_ENV), self.options.mirror):
                # terraform refuses to install a provider from a folder into itself
                extra[PLUGIN_CACHE_ENV] = None
        env = terraform_env(cli_config=cli_config, extra=extra)
        self.runner = TerraformRunner(self.options.workdir, binary, env=env)

    def _take_lock(self) -> None:
        if self._lock is not None:
            return
        lock = WorkspaceLock(self.options.out, self.options.command)
        try:
            lock.acquire()
        except WorkspaceBusy as exc:
            raise self._fail(ExitCode.WORKSPACE_BUSY, str(exc)) from None
        except OSError as exc:
            problem = describe_os_error(exc, self.options.out)
            raise self._fail(ExitCode.FILE_ERROR, problem.message(), problem.fix) from None
        self._lock = lock
        if lock.took_over is not None:
            self.notice(
                f"took over the workspace lock of {lock.took_over.describe()}, which stopped "
                "without releasing it (it was killed or crashed)",
                level="warn",
            )

    def _start_sandbox(self) -> dict[str, str | None]:
        """Use the shared emulator or start one; its terraform environment."""
        from wizard.services.sandbox.launcher import ACCOUNT_ID, FRESH_ENV, Sandbox, SandboxError

        box = self._shared_sandbox
        restored = ""
        if box is None:
            box = Sandbox.for_workspace(self.options.out, self.options.answers.aws.region)
            try:
                box.start()
            except SandboxError as exc:
                raise self._fail(ExitCode.TOOL_MISSING, str(exc)) from None
            if box.restored:
                restored = f", {box.restored} saved service(s) restored"
        endpoint = box.endpoint
        self.sandbox = box
        self._account = ACCOUNT_ID
        self.notice(
            f"sandbox: AWS emulator at {endpoint} (account {ACCOUNT_ID}{restored})",
            "nothing here touches a real AWS account",
        )
        if box.warning:
            self.notice(f"sandbox: {box.warning}", level="warn")
        if box.set_aside is not None:
            self.notice(
                f"sandbox: started empty ({FRESH_ENV}); the previous state is kept as "
                f"{box.set_aside}",
                level="warn",
            )
        mismatch = box.mismatch(self.options.rerun_leftovers)
        if mismatch is not None:
            self.notice(f"sandbox: {mismatch.text}", mismatch.hint, level="warn")
        env: dict[str, str | None] = box.terraform_env()
        return env

    def render(self) -> None:
        """Write the workspace (answers -> files). Edited files are kept: exit 9."""

        sandbox = None
        if self.options.sandbox:
            from wizard.services.sandbox import sandbox_render_context

            sandbox = sandbox_render_context()

        tree = render(self.options.answers, sandbox=sandbox)
        try:
            report = write_workspace(tree, self.options.out, force=self.options.force_render)
        except ManifestDamaged as exc:
            raise self._fail(ExitCode.FILE_ERROR, str(exc), exc.fix) from None
        except OSError as exc:
            problem = describe_os_error(exc, self.options.out)
            raise self._fail(
                ExitCode.FILE_ERROR,
                f"{problem.message('write')} (nothing was changed in the workspace)",
                problem.fix,
            ) from None
        counts = report.counts()
        changed = {k: v for k, v in counts.items() if k != "unchanged"}
        what = ", ".join(f"{n} {k}" for k, n in sorted(changed.items())) or "no changes"
        self.notice(f"rendered {self.options.out}: {what}")
        stray = report.by_status("untracked")
        if stray:
            self.notice(
                "there was no render manifest, so these files may be left over from an earlier "
                "rendering: " + ", ".join(c.path for c in stray),
                "delete the ones you did not add yourself",
                level="warn",
            )
        if report.conflicts:
            names = ", ".join(c.path for c in report.conflicts)
            raise self._fail(
                ExitCode.RENDER_CONFLICT,
                f"you edited {names} since the last render; the new versions are next to them "
                "as *.new",
                "merge them (or delete the *.new files to keep yours), or re-render with "
                f"`cdwizard render --force --out {self.options.out}`",
            )

    async def initialize(self) -> None:
        """render, check terraform's state files, init: what every terraform command needs."""
        runner = self._require_runner()
        self.render()
        self._check_state_files()
        source = self.options.answers.source
        codecommit = source.provider == "codecommit"
        if self.sandbox is not None and codecommit and not source.create_repository:
            name = source.repository
            if await asyncio.to_thread(self.sandbox.ensure_repository, name):
                self.notice(f"sandbox: created the CodeCommit repository {name}")
        if self.sandbox is not None and source.provider == "s3" and not source.create_bucket:
            bucket = source.bucket or ""
            if await asyncio.to_thread(self.sandbox.ensure_source_bucket, bucket):
                self.notice(
                    f"sandbox: created the source bucket {bucket} (versioned, EventBridge "
                    "notifications on), as the existing bucket the answers name"
                )
        self._check_interrupt()
        code = await self._stream(runner.init())
        if code != 0:
            raise self._command_failed("init", code)
        self._check_interrupt()

    async def prepare(self, *, destroy: bool = False) -> PlanSummary:
        """render, init, plan (`-destroy` for destroy); emits and returns the plan summary.
        With `adopt`, conflicting resources stop the run first and adoptable ones are imported
        by the plan (`imports.tf`)."""
        runner = self._require_runner()
        await self.initialize()
        self._plan_file = commands.DESTROY_PLAN_FILE if destroy else commands.PLAN_FILE
        if destroy:
            state = await runner.show_state()
            self._destroy_inventory = cleanup.inventory(state, self.options.answers)
            self._buckets = cleanup.buckets(state)
            self._rules = cleanup.rules(state)
        adoptable: list[Any] = []
        if not destroy:
            adoptable = await self._adoptable()
        plan = await self._run_plan(destroy)
        if adoptable:
            plan = await self._plan_imports(plan, adoptable)
        self._plan = plan
        summary = summarize(plan, operation="destroy" if destroy else "apply")
        if destroy:
            summary = self._existed_before(summary, plan)
        elif self.adoptable:
            import dataclasses

            summary = dataclasses.replace(summary, adoptable=self.adoptable)
        self.summary = summary
        self.emit(summary)
        if not destroy:
            await self._warn_leftovers()
        return summary

    async def _run_plan(self, destroy: bool) -> dict[str, Any]:
        """One `terraform plan` into the plan file; its JSON."""
        runner = self._require_runner()
        code = await self._stream(runner.plan(out=self._plan_file, destroy=destroy))
        await self._save_sandbox()  # the plan's reads may have advanced the simulation
        if code not in (0, 2):
            raise self._command_failed("plan", code)
        self._check_interrupt()  # stopped just as the plan finished: still stopped
        return await runner.show_plan(self._plan_file)

    async def apply(self) -> int:
        """Apply the plan `prepare()` made; emits outputs and a report. Returns the exit code."""
        runner = self._require_runner()
        self._check_interrupt()
        started = time.time()
        code = await self._stream(runner.apply(plan=self._plan_file), autosave=True)
        await self._save_sandbox()
        if code == 0:
            self._adopted()
        lost = self._state_lost(started)
        leftovers = await self._leftovers_after() if self._state_readable() else []
        self.report = self._report("apply", leftovers=leftovers, state_problem=lost)
        self.emit(self.report)
        if runner.interrupted or self._interrupted:
            self.exit_code = self.stop_code
        elif code != 0:
            self.exit_code = ExitCode.APPLY_FAILED
        else:
            self.exit_code = ExitCode.OK  # the apply stream already carried the outputs
            self._connection_notice()
        return self.exit_code

    def _connection_notice(self) -> None:
        """A new (or revoked) connection cannot be used yet: say so, with where to fix it."""
        status = self.outputs.get("connection_status")
        arn = self.outputs.get("connection_arn")
        if not status or not arn or status == "AVAILABLE":
            return

        provider = {"github": "GitHub", "gitlab": "GitLab", "bitbucket": "Bitbucket"}.get(
            self.options.answers.source.provider, self.options.answers.source.provider
        )
        name = str(self.outputs.get("connection_name") or arn)
        line = status_line(name, provider, str(status), str(arn), sandbox=self.sandbox is not None)
        self.notice(line, level="warn")

    async def destroy(self) -> int:
        """Empty the buckets, remove rule targets terraform's state lost, apply the destroy plan,
        then look for anything left behind."""
        runner = self._require_runner()
        self._check_interrupt()
        clients = self._clients()
        for bucket in self._buckets:
            try:
                n = await asyncio.to_thread(cleanup.empty_bucket, clients, bucket)
            except Exception as exc:  # keep going: terraform will say if the bucket stays
                self.notice(f"could not empty bucket {bucket}: {exc}", level="warn")
                continue
            if n:
                self.notice(f"emptied bucket {bucket}: {n} object version(s) and delete marker(s)")
        for rule in self._rules:
            try:
                stray = await asyncio.to_thread(cleanup.remove_stray_targets, clients, rule)
            except Exception as exc:  # keep going: terraform will say if the rule stays
                self.notice(f"could not check the targets of rule {rule.name}: {exc}", level="warn")
                continue
            if stray:
                self.notice(
                    f"removed target(s) {', '.join(stray)} of rule {rule.name}: terraform's "
                    "state no longer held them (an interrupted run), and the rule cannot go "
                    "while they stay"
                )
        code = 0
        started = time.time()
        if self.summary is None or self.summary.has_changes:
            code = await self._stream(runner.apply(plan=self._plan_file), autosave=True)
            await self._save_sandbox()
        lost = self._state_lost(started)
        left: list[str] = []
        leftovers: list[LeftoverItem] = []
        if self._state_readable():
            leftovers = await self._leftovers_after()
            if not runner.interrupted:
                left = await asyncio.to_thread(self._left_behind, clients)
                listed = {item.id for item in leftovers}
                left = [label for label in left if label.split(" ")[-1] not in listed]
        self.report = self._report(
            "destroy", left_behind=left, leftovers=leftovers, state_problem=lost
        )
        self.emit(self.report)
        if runner.interrupted or self._interrupted:
            self.exit_code = self.stop_code
        elif code != 0 or left or leftovers or lost:
            self.exit_code = ExitCode.DESTROY_FAILED
        else:
            self.exit_code = ExitCode.OK
        if code == 0:
            from wizard.services.terraform.imports import forget_adopted

            deleted = [c.get("address", "") for c in self._plan.get("resource_changes") or []]
            with contextlib.suppress(OSError):
                forget_adopted(self.options.out, deleted)
        return self.exit_code

    def close(self) -> None:
        """Stop the sandbox (saving its state; a shared one is saved and left running) and
        release the workspace lock. A stop signal arriving meanwhile waits until the state is
        written (then it is raised). Safe to call twice."""

        def hold(signum: int) -> None:
            self.notice(
                f"{signals.describe(signum)}: saving the sandbox state first (a moment)",
                level="warn",
            )

        try:
            with signals.deferred(hold):
                self._close_sandbox()
        finally:
            lock, self._lock = self._lock, None
            if lock is not None:
                lock.release()

    def _close_sandbox(self) -> None:
        box, self.sandbox = self.sandbox, None
        if box is None:
            return
        self._save_now(box)
        if box is not self._shared_sandbox:
            box.stop(save=False)

    def _save_now(self, box: Any) -> None:
        """Save the sandbox state (if this run changed it); a failure is a warning, never an
        exception: the run's result must not be lost over the emulator's state file."""
        from wizard.services.sandbox.launcher import StateReplaced

        try:
            box.save()
            self._save_warned.clear()
        except StateReplaced as exc:
            self.notice(f"sandbox: {exc}", "see `When things go wrong` in the README", level="warn")
        except OSError as exc:
            problem = describe_os_error(exc, box.state_file)
            if problem in self._save_warned:
                return  # said already (the periodic save fails the same way)
            self._save_warned.add(problem)
            self.notice(
                f"sandbox: could not save its state: {problem.message('write')}",
                f"{problem.fix}; until then the emulator's state on disk is older than "
                "terraform's (the next --sandbox run says so)",
                level="warn",
            )
        except Exception as exc:
            self.notice(
                f"sandbox: could not save its state ({type(exc).__name__}: {exc})",
                "the emulator's state on disk is older than terraform's (the next --sandbox "
                "run says so)",
                level="warn",
            )

    async def _save_sandbox(self) -> None:
        box = self.sandbox
        if box is not None:
            await asyncio.to_thread(self._save_now, box)

    # --- helpers ------------------------------------------------------------------------------

    def _require_runner(self) -> TerraformRunner:
        if self.runner is None:
            raise RuntimeError("call start() first")
        return self.runner

    def _check_interrupt(self) -> None:
        if self._interrupted:
            raise self._fail(self.stop_code, self._stopped_text())

    def _command_failed(self, command: str, exit_code: int) -> WorkflowError:
        """init/plan failed: emit what terraform said with its cause and the next steps, and
        return the error that stops the flow (exit 5; 130 when interrupted)."""
        if self._interrupted:
            return self._fail(self.stop_code, self._stopped_text())
        found = diagnose(self._errors, self._situation(self.options.rerun))
        steps = found.steps
        if found.cause == "terraform_error" or not steps:
            steps = (*steps, NextStep(action="fix_and_rerun", command=self.options.rerun))
        failure = TfFailure(
            command=command,
            exit_code=exit_code,
            cause=found.cause,
            diagnostics=tuple(self._errors),
            next_steps=steps,
        )
        self.emit(failure)
        self.exit_code = ExitCode.PLAN_FAILED
        return WorkflowError(failure.headline, ExitCode.PLAN_FAILED, failure=failure)

    def _situation(self, rerun: str) -> Situation:
        answers = self.options.answers
        account = None
        if self.options.sandbox:
            from wizard.services.sandbox.launcher import ACCOUNT_ID

            account = ACCOUNT_ID

        planned = planned_resources(answers, account)
        return Situation(
            workdir=str(self.options.workdir),
            rerun=rerun,
            env=self.runner.env if self.runner is not None else {},
            mirror=self.options.mirror,
            profile=answers.aws.profile,
            names=answer_names((p.name, p.field) for p in planned),
            adopt=None if self.options.adopt else self._adopt_command(),
        )

    def _stopped_text(self) -> str:
        return f"stopped by {signals.describe(self._signal or signal.SIGINT)}"

    async def _stream(self, events: Any, *, autosave: bool = False) -> int:
        saver = None
        if autosave and self.sandbox is not None:
            saver = asyncio.create_task(self._autosave())
        try:
            async for event in events:
                if isinstance(event, TfOutputs):
                    self.outputs = event.values()
                self.emit(event)
                self.report_emulator_faults()
            self.report_emulator_faults()
        finally:
            if saver is not None:
                saver.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await saver
        runner = self._require_runner()
        return runner.last.exit_code if runner.last is not None else 1

    async def _autosave(self) -> None:
        """Save the sandbox every `AUTOSAVE_SECONDS` while terraform runs: a run killed with
        SIGKILL (or a crash) then loses at most that much of the emulator's state."""
        while True:
            await asyncio.sleep(AUTOSAVE_SECONDS)
            await self._save_sandbox()

    def _check_state_files(self) -> None:
        """A damaged local state or a pending errored.tfstate stops the run before terraform
        does (with the file to restore); an old errored.tfstate is a note."""
        if self.options.answers.terraform.backend != "local" and not self.options.sandbox:
            return
        issue = statefile.check_before_run(self.options.workdir, self.options.rerun)
        if issue is None:
            return
        if issue.blocking:
            raise self._fail(ExitCode.FILE_ERROR, issue.message, issue.hint)
        self.notice(issue.message, issue.hint, level="warn")

    def _state_readable(self) -> bool:
        """terraform's state can be compared with what exists (a local state that is missing
        or damaged would make everything look left over)."""
        if self.options.answers.terraform.backend != "local" and not self.options.sandbox:
            return True
        state = statefile.read_state(self.options.workdir / statefile.STATE)
        return state.valid or not state.exists

    def _state_lost(self, started: float) -> list[str]:
        """Recovery steps when terraform could not save its state during this run (else [])."""
        if self.options.answers.terraform.backend != "local" and not self.options.sandbox:
            return []
        errors = [*self.progress.errors, *(r.error for r in self.progress.rows.values() if r.error)]
        issue = statefile.after_failed_write(
            self.options.workdir, started, errors, self.options.rerun_apply
        )
        if issue is None:
            return []
        self.notice(issue.message, level="error")
        return list(issue.steps)

    # --- adopting what exists (--adopt) -------------------------------------------------------

    async def _adoptable(self) -> list[Any]:
        """With `adopt`: the adoptable resources (`adoption.Classified`); conflicting ones stop
        the run with their evidence and the answers key to change. Without: a stale imports.tf
        (from an earlier --adopt run that did not apply) is removed, so the plan imports nothing."""

        stale = remove_imports(self.options.workdir)  # the first plan must not import
        if not self.options.adopt:
            if stale:
                self.notice(
                    "removed imports.tf left by an earlier --adopt run: this run imports nothing",
                    f"to adopt existing resources, run `{self._adopt_command()}`",
                )
            if self.options.command != "leftovers":  # that command says how to adopt its own
                await self._offer_adoption()
            return []
        try:
            found = await self._classify()
        except Exception as exc:
            hint = getattr(exc, "fix", None)
            raise self._fail(
                ExitCode.AWS_ERROR, f"could not look up the existing resources: {exc}", hint
            ) from None
        if found.conflicting:
            raise self._fail(
                ExitCode.PLAN_FAILED,
                "cannot adopt: " + found.conflict_text() + " (nothing was imported)",
                found.conflict_fix(),
            )
        for item in found.adoptable:
            self.notice(f"adoptable: {item.line()}")
        if not found.adoptable:
            self.notice("--adopt: nothing to adopt, every resource is absent or managed already")
        return found.adoptable

    def _adopt_command(self) -> str:
        apply = self.options.rerun_apply
        return apply if apply.endswith(" --adopt") else f"{apply} --adopt"

    async def _classify(self) -> Any:
        """`adoption.classify` of the answers against what exists and terraform's state."""

        managed = leftovers.managed_in_raw_state(await self._raw_state())
        clients = self._clients()
        account = await asyncio.to_thread(self._account_id, clients)
        return await asyncio.to_thread(
            adoption.classify, clients, self.options.answers, account=account, managed=managed
        )

    async def _offer_adoption(self) -> None:
        """Without --adopt: say which names are taken (applying would fail on them) and count
        what --adopt would import (`adoptable`, for the summary). Best effort: a look-up that
        fails (permissions) says nothing."""
        try:
            found = await self._classify()
        except Exception:
            return
        named = [i for i in found.adoptable if i.kind != "ec2_instance"]
        self.adoptable = len(found.adoptable) if named else 0
        if named:
            listed = "; ".join(item.line() for item in named)
            self.notice(
                f"{len(named)} resource(s) with the names this plan creates exist already "
                f"(applying fails on them): {listed}",
                f"adopt them: `{self._adopt_command()}`",
                level="warn",
            )
        if found.conflicting:
            self.notice(
                f"existing resources cdwizard cannot adopt: {found.conflict_text()}",
                found.conflict_fix(),
                level="warn",
            )

    async def _plan_imports(self, plan: dict[str, Any], adoptable: list[Any]) -> dict[str, Any]:
        """Write imports.tf for what the first plan would create, and plan again."""

        placed, unplaced = imports.match(plan, adoptable)
        for target in unplaced:
            self.notice(
                f"{target.label} stays as it is: cdwizard's configuration has no place for it",
                "terraform neither imports nor changes it",
            )
        if not placed:
            return plan
        try:
            imports.write_imports(self.options.workdir, placed)
        except OSError as exc:
            problem = describe_os_error(exc, self.options.workdir)
            raise self._fail(ExitCode.FILE_ERROR, problem.message("write"), problem.fix) from None
        self.adoptions = placed
        self.notice(f"imports.tf: {len(placed)} import block(s); planning again with them")
        return await self._run_plan(destroy=False)

    def _adopted(self) -> None:
        """After a successful apply: the import blocks are spent; remember what was adopted."""

        if not self.adoptions:
            return
        try:
            imports.remove_imports(self.options.workdir)
            imports.record_adopted(self.options.out, self.adoptions)
        except OSError as exc:
            self.notice(f"could not tidy up after adopting: {exc}", level="warn")
            return
        self.notice(
            f"adopted {len(self.adoptions)} existing resource(s); imports.tf removed (the "
            "imports are done)"
        )

    def _existed_before(self, summary: PlanSummary, plan: dict[str, Any]) -> PlanSummary:
        """A destroy plan's summary naming the adopted resources it deletes."""

        adopted = read_adopted(self.options.out)
        deleted = [
            c.get("address", "")
            for c in plan.get("resource_changes") or []
            if "delete" in ((c.get("change") or {}).get("actions") or [])
        ]
        labels = tuple(adopted[a] for a in deleted if a in adopted)
        return dataclasses.replace(summary, existed_before=labels) if labels else summary

    # --- leftovers ----------------------------------------------------------------------------

    async def find_leftovers(self) -> list[Any]:
        """Resources with the project's tag that terraform's state (as it is now) lacks
        (`wizard.services.aws.leftovers.Leftover`). Raises botocore errors."""

        managed = leftovers.managed_in_raw_state(await self._raw_state())
        clients = self._clients()
        account = await asyncio.to_thread(self._account_id, clients)
        return await asyncio.to_thread(
            leftovers.find, clients, self.options.answers, managed, account=account
        )

    async def adopt(self, chosen: list[Any]) -> list[Any]:
        """`terraform import` each chosen leftover at the address where the plan `prepare()`
        made would create it; returns those imported."""

        runner = self._require_runner()
        creates = [
            change
            for change in self._plan.get("resource_changes") or []
            if (change.get("change") or {}).get("actions") == ["create"]
            and change.get("mode") == "managed"
        ]
        claimed: set[str] = set()
        done = []
        for item in chosen:
            self._check_interrupt()
            address = next(
                (
                    c["address"]
                    for c in creates
                    if c["address"] not in claimed
                    and c.get("type") == RESOURCE_TYPES.get(item.kind)
                    and item.attribute_matches((c.get("change") or {}).get("after") or {})
                ),
                None,
            )
            if address is None:
                self.notice(
                    f"cannot adopt {item.label}: these answers do not create anything it could "
                    "be (it was made with other answers)",
                    f"remove it instead: `{self.leftover_item(item).remove}`",
                    level="error",
                )
                continue
            claimed.add(address)
            code = await self._stream(runner.import_(address, item.import_id))
            await self._save_sandbox()
            if code == 0:
                self.notice(f"adopted {item.label} as {address}")
                done.append(item)
            else:
                self.notice(f"terraform could not import {item.label} (see above)", level="error")
        return done

    async def remove(self, chosen: list[Any]) -> list[Any]:
        """Delete each chosen leftover through the API; returns those removed."""

        clients = self._clients()
        done = []
        for item in chosen:
            self._check_interrupt()
            try:
                what = await asyncio.to_thread(leftovers.remove, clients, item)
            except Exception as exc:
                self.notice(f"could not remove {item.label}: {exc}", level="error")
                continue
            self.notice(what)
            done.append(item)
        await self._save_sandbox()
        return done

    async def _raw_state(self) -> dict[str, Any]:
        """terraform's state as stored: the local file as it is, else `terraform state pull`."""
        if self.options.answers.terraform.backend == "local" or self.options.sandbox:
            import json

            try:
                data = json.loads((self.options.workdir / statefile.STATE).read_text("utf-8"))
            except (OSError, ValueError):
                return {}
            return data if isinstance(data, dict) else {}
        return await self._require_runner().pull_state()

    def leftover_item(self, leftover: Any) -> LeftoverItem:
        """A leftover with the exact commands that adopt or remove it."""

        ident = shlex.quote(leftover.id)
        return LeftoverItem(
            label=leftover.label,
            id=leftover.id,
            adopt=f"{self.options.rerun_leftovers} --adopt {ident}",
            remove=f"{self.options.rerun_leftovers} --remove {ident}",
        )

    async def _leftovers_after(self) -> list[LeftoverItem]:
        """The leftovers after an apply or destroy; a failed look-up is a warning."""
        try:
            found = await self.find_leftovers()
        except Exception as exc:  # a permission problem must not hide the run's result
            self.emit(
                LogLine(
                    source="cdwizard",
                    text=f"could not look for leftovers: {exc}",
                    level="warn",
                )
            )
            return []
        return [self.leftover_item(item) for item in found]

    async def _warn_leftovers(self) -> None:
        """Before an apply: leftovers would be duplicated (instances) or clash (names)."""
        for item in await self._leftovers_after():
            self.notice(
                f"left over from an earlier run: {item.label}: it is not in terraform's state, "
                "so applying creates another one (or fails on its name)",
                f"adopt it first: `{item.adopt}`, or remove it: `{item.remove}`",
                level="warn",
            )

    def _account_id(self, clients: Any) -> str | None:
        if self._account is None:
            try:
                self._account = str(clients.client("sts").get_caller_identity()["Account"])
            except Exception:
                return None
        return self._account

    def _clients(self) -> Any:

        if self.sandbox is not None:
            return self.sandbox.clients
        aws = self.options.answers.aws
        return AwsClients(AwsTarget(region=aws.region, profile=aws.profile))

    def _left_behind(self, clients: Any) -> list[str]:
        try:
            return cleanup.left_behind(clients, self._destroy_inventory)
        except Exception as exc:  # a permission problem must not hide the destroy result
            self.emit(LogLine(source="cdwizard", text=f"could not check leftovers: {exc}"))
            return []

    def _report(
        self,
        operation: Literal["apply", "destroy"],
        left_behind: list[str] | None = None,
        leftovers: list[LeftoverItem] | None = None,
        state_problem: list[str] | None = None,
    ) -> RunReport:
        rerun = self.options.rerun_apply if operation == "apply" else self.options.rerun_destroy
        return run_report(
            self.progress,
            operation=operation,
            rerun=rerun,
            destroy=self.options.rerun_destroy,
            workdir=str(self.options.workdir),
            left_behind=left_behind or [],
            leftovers=leftovers or [],
            state_problem=state_problem or [],
            diagnostics=self._errors,
            diagnosis=diagnose(self._errors, self._situation(rerun)),
        )


def _same_folder(a: str | Path | None, b: str | Path | None) -> bool:
    if not a or not b:
        return False
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False


def run_sync(main: Callable[[], Awaitable[T]], on_interrupt: Callable[[int], None]) -> T:
    """Run `main()` on a fresh event loop with SIGINT, SIGTERM and SIGHUP routed to
    `on_interrupt(signum)` (not KeyboardInterrupt), so the first one can be forwarded to terraform
    gracefully. The handlers in place before are put back afterwards."""

    async def wrapper() -> T:
        loop = asyncio.get_running_loop()
        installed: dict[signal.Signals, Any] = {}
        for sig in signals.STOP_SIGNALS:
            previous = signal.getsignal(sig)
            if previous is signal.SIG_IGN:
                continue  # ignored when we started (nohup): stays ignored
            try:
                loop.add_signal_handler(sig, on_interrupt, int(sig))
            except (NotImplementedError, RuntimeError, ValueError):
                break  # not the main thread, or no signals on this platform
            installed[sig] = previous
        try:
            return await main()
        finally:
            for stopped, handler in installed.items():
                loop.remove_signal_handler(stopped)
                signal.signal(stopped, handler if handler is not None else signal.SIG_DFL)

    return asyncio.run(wrapper())
