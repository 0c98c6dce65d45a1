"""render -> init -> plan -> (confirm) -> apply / destroy, as typed events. No UI.

The plain/JSON commands and the TUI drive the same object:

    flow = Workflow(options, emit=sink.emit)     # emit: any callable taking an Event
    flow.start()                                  # sandbox up, terraform found (or WorkflowError)
    summary = await flow.prepare()                # render, init, plan; returns the PlanSummary
    if summary.has_changes and user_agrees(summary):
        await flow.apply()                        # applies exactly that plan
    flow.close()                                  # stops the sandbox, saving its state
    flow.exit_code                                # where it stopped (wizard.core.exitcodes)

`flow.interrupt()` (Ctrl-C, a TUI button) forwards one SIGINT to terraform, then kills on a second
call, and stops the flow before its next step. Everything the user should see is an event.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from wizard.core.answers import Answers
from wizard.core.events.base import Event, Level, LogLine, Notice
from wizard.core.events.terraform import (
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
from wizard.core.exitcodes import ExitCode
from wizard.core.next_steps import NextStep
from wizard.core.progress import Progress, reduce
from wizard.services.terraform import cleanup, commands
from wizard.services.terraform.binary import TerraformNotFound, find_terraform
from wizard.services.terraform.diagnose import (
    PLUGIN_CACHE_ENV,
    Situation,
    answer_names,
    diagnose,
)
from wizard.services.terraform.report import run_report
from wizard.services.terraform.runner import TerraformRunner, terraform_env
from wizard.services.terraform.summary import summarize

T = TypeVar("T")

CLI_CONFIG = ".cdwizard/terraformrc"


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
    #: the command that runs this very step again ("cdwizard plan -a x.yml", or the wizard)
    rerun: str = "cdwizard plan"

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
        self._plan_file = commands.PLAN_FILE
        self._destroy_inventory: list[cleanup.Named] = []
        self._buckets: list[str] = []
        #: the error diagnostics of the terraform command running (or last run)
        self._errors: list[TfDiagnostic] = []

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

    def interrupt(self) -> None:
        """Ctrl-C: forward to terraform (first), kill it (second); no further steps start."""
        self._interrupted = True
        if self.runner is not None:
            self.runner.interrupt()

    @property
    def interrupted(self) -> bool:
        return self._interrupted

    def _fail(self, code: int, message: str, hint: str | None = None) -> WorkflowError:
        self.exit_code = code
        return WorkflowError(message, code, hint)

    # --- steps --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the sandbox (if asked) and find terraform. Raises `WorkflowError`."""
        answers = self.options.answers
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

            try:
                cli_config = write_cli_config(
                    self.options.out / CLI_CONFIG, Path(self.options.mirror)
                )
            except (OSError, ValueError) as exc:
                self.close()
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

    def _start_sandbox(self) -> dict[str, str | None]:
        """Use the shared emulator or start one; its terraform environment."""
        from wizard.services.sandbox import LOG_FILE, STATE_FILE
        from wizard.services.sandbox.launcher import ACCOUNT_ID, FRESH_ENV, Sandbox, SandboxError

        box = self._shared_sandbox
        restored = ""
        if box is None:
            box = Sandbox(
                region=self.options.answers.aws.region,
                state_file=self.options.out / STATE_FILE,
                log_file=self.options.out / LOG_FILE,
            )
            try:
                box.start()
            except SandboxError as exc:
                raise self._fail(ExitCode.TOOL_MISSING, str(exc)) from None
            if box.restored:
                restored = f", {box.restored} saved service(s) restored"
        endpoint = box.endpoint
        self.sandbox = box
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
        env: dict[str, str | None] = box.terraform_env()
        return env

    def render(self) -> None:
        """Write the workspace (answers -> files). Edited files are kept: exit 9."""
        from wizard.core.render import render, write_workspace

        sandbox = None
        if self.options.sandbox:
            from wizard.services.sandbox import sandbox_render_context

            sandbox = sandbox_render_context()
        tree = render(self.options.answers, sandbox=sandbox)
        report = write_workspace(tree, self.options.out, force=self.options.force_render)
        counts = report.counts()
        changed = {k: v for k, v in counts.items() if k != "unchanged"}
        what = ", ".join(f"{n} {k}" for k, n in sorted(changed.items())) or "no changes"
        self.notice(f"rendered {self.options.out}: {what}")
        if report.conflicts:
            names = ", ".join(c.path for c in report.conflicts)
            raise self._fail(
                ExitCode.RENDER_CONFLICT,
                f"you edited {names} since the last render; the new versions are next to them "
                "as *.new",
                "merge them (or delete the *.new files to keep yours), or re-render with "
                f"`cdwizard render --force --out {self.options.out}`",
            )

    async def prepare(self, *, destroy: bool = False) -> PlanSummary:
        """render, init, plan (`-destroy` for destroy); emits and returns the plan summary."""
        runner = self._require_runner()
        self.render()
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
        self._plan_file = commands.DESTROY_PLAN_FILE if destroy else commands.PLAN_FILE
        if destroy:
            state = await runner.show_state()
            self._destroy_inventory = cleanup.inventory(state, self.options.answers)
            self._buckets = cleanup.buckets(state)
        code = await self._stream(runner.plan(out=self._plan_file, destroy=destroy))
        if code not in (0, 2):
            raise self._command_failed("plan", code)
        plan = await runner.show_plan(self._plan_file)
        self.summary = summarize(plan, operation="destroy" if destroy else "apply")
        self.emit(self.summary)
        return self.summary

    async def apply(self) -> int:
        """Apply the plan `prepare()` made; emits outputs and a report. Returns the exit code."""
        runner = self._require_runner()
        self._check_interrupt()
        code = await self._stream(runner.apply(plan=self._plan_file))
        self.report = self._report("apply")
        self.emit(self.report)
        if runner.interrupted or self._interrupted:
            self.exit_code = ExitCode.INTERRUPTED
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
        from wizard.core.connections import status_line

        provider = {"github": "GitHub", "gitlab": "GitLab", "bitbucket": "Bitbucket"}.get(
            self.options.answers.source.provider, self.options.answers.source.provider
        )
        name = str(self.outputs.get("connection_name") or arn)
        line = status_line(name, provider, str(status), str(arn), sandbox=self.sandbox is not None)
        self.notice(line, level="warn")

    async def destroy(self) -> int:
        """Empty the buckets, apply the destroy plan, then look for anything left behind."""
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
        code = 0
        if self.summary is None or self.summary.has_changes:
            code = await self._stream(runner.apply(plan=self._plan_file))
        left: list[str] = []
        if not runner.interrupted:
            left = await asyncio.to_thread(self._left_behind, clients)
        self.report = self._report("destroy", left_behind=left)
        self.emit(self.report)
        if runner.interrupted or self._interrupted:
            self.exit_code = ExitCode.INTERRUPTED
        elif code != 0 or left:
            self.exit_code = ExitCode.DESTROY_FAILED
        else:
            self.exit_code = ExitCode.OK
        return self.exit_code

    def close(self) -> None:
        """Stop the sandbox (saving its state; a shared one is saved and left running). Safe
        to call twice."""
        box, self.sandbox = self.sandbox, None
        if box is None:
            return
        try:
            if box is self._shared_sandbox:
                box.save()
            else:
                box.stop()
        except Exception as exc:  # never lose the run's result over the emulator's state file
            self.notice(
                f"sandbox: could not save its state ({exc})",
                "the next --sandbox run starts from an empty emulator",
                level="warn",
            )

    # --- helpers ------------------------------------------------------------------------------

    def _require_runner(self) -> TerraformRunner:
        if self.runner is None:
            raise RuntimeError("call start() first")
        return self.runner

    def _check_interrupt(self) -> None:
        if self._interrupted:
            raise self._fail(ExitCode.INTERRUPTED, "interrupted")

    def _command_failed(self, command: str, exit_code: int) -> WorkflowError:
        """init/plan failed: emit what terraform said with its cause and the next steps, and
        return the error that stops the flow (exit 5; 130 when interrupted)."""
        if self._interrupted:
            return self._fail(ExitCode.INTERRUPTED, "interrupted")
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
        from wizard.services.aws.clashes import planned_resources

        planned = planned_resources(answers, account)
        return Situation(
            workdir=str(self.options.workdir),
            rerun=rerun,
            env=self.runner.env if self.runner is not None else {},
            mirror=self.options.mirror,
            profile=answers.aws.profile,
            names=answer_names((p.name, p.field) for p in planned),
        )

    async def _stream(self, events: Any) -> int:
        async for event in events:
            if isinstance(event, TfOutputs):
                self.outputs = event.values()
            self.emit(event)
            self.report_emulator_faults()
        self.report_emulator_faults()
        runner = self._require_runner()
        return runner.last.exit_code if runner.last is not None else 1

    def _clients(self) -> Any:
        from wizard.services.aws.session import AwsClients, AwsTarget

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
        self, operation: Literal["apply", "destroy"], left_behind: list[str] | None = None
    ) -> RunReport:
        rerun = self.options.rerun_apply if operation == "apply" else self.options.rerun_destroy
        return run_report(
            self.progress,
            operation=operation,
            rerun=rerun,
            destroy=self.options.rerun_destroy,
            workdir=str(self.options.workdir),
            left_behind=left_behind or [],
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


def run_sync(main: Callable[[], Awaitable[T]], on_interrupt: Callable[[], None]) -> T:
    """Run `main()` on a fresh event loop with SIGINT routed to `on_interrupt` (not
    KeyboardInterrupt), so the first Ctrl-C can be forwarded to terraform gracefully."""

    async def wrapper() -> T:
        loop = asyncio.get_running_loop()
        installed = False
        try:
            loop.add_signal_handler(signal.SIGINT, on_interrupt)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals on this platform
        try:
            return await main()
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGINT)

    return asyncio.run(wrapper())
