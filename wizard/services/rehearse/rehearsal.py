"""`Rehearsal`: one local deployment, run event by event the way the CodeDeploy agent runs it.

```python
rehearsal = Rehearsal(RehearsalOptions(bundle=Path("out/payload"), root=tmp))
result = rehearsal.run(sink)        # emits lifecycle events on the calling thread
rehearsal.cancel()                  # from any thread: TERMs the running script, stops the rest
```

Events emitted, in order: `DeploymentStarted(origin="rehearsal")`, then per lifecycle event a
`LifecycleEventChanged` InProgress followed by Succeeded/Failed (or a single Skipped), the scripts'
lines as `HookOutput`, agent-style `Notice`s (where the logs are, warnings), and finally
`DeploymentFinished`. After a failure the remaining events are Skipped, as the console shows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from wizard.core.events.base import Event, Level, Notice, utcnow
from wizard.core.events.lifecycle import (
    PREVIOUS_REVISION_EVENTS,
    DeploymentFinished,
    DeploymentStarted,
    DeploymentStatus,
    Diagnostics,
    HookOutput,
    LifecycleEventChanged,
    LifecycleStatus,
)
from wizard.core.output import EventSink
from wizard.services.rehearse import bundle as bundles
from wizard.services.rehearse import layout as layouts
from wizard.services.rehearse.appspec import (
    FILE_EXISTS_BEHAVIORS,
    AppSpec,
    AppSpecError,
    load_appspec,
)
from wizard.services.rehearse.hooks import HookCancelled, HookRun, RunningUser, ScriptError
from wizard.services.rehearse.install import InstallError, check_destinations, install
from wizard.services.rehearse.logs import Clock, DeploymentsLog, local_now
from wizard.services.rehearse.plan import EventsError, check_appspec_hooks, plan_events
from wizard.services.rehearse.process import Canceller
from wizard.services.rehearse.rubyisms import errno_message

TARGET_ID = "local"
_DEPLOYMENT_ERROR_CODES = {
    "ScriptMissing": "SCRIPT_MISSING",
    "ScriptNotExecutable": "SCRIPT_NOT_EXECUTABLE",
    "ScriptTimedOut": "SCRIPT_TIMED_OUT",
    "ScriptFailed": "SCRIPT_FAILED",
    "UnknownError": "UNKNOWN_ERROR",
}


class RehearsalError(ValueError):
    """The rehearsal cannot start (bad bundle, root, group id, events, options)."""


@dataclass(frozen=True)
class RehearsalOptions:
    """What to rehearse and where. Defaults are codedeploy-local's, except the root."""

    bundle: Path
    root: Path = field(default_factory=layouts.default_root)
    group_id: str = layouts.DEFAULT_GROUP_ID
    group_name: str = layouts.DEFAULT_GROUP_NAME
    #: APPLICATION_NAME; codedeploy-local uses the bundle location when none is given.
    application: str | None = None
    #: `--events`; None runs the in-place order (plus traffic hooks with `traffic`).
    events: Sequence[str] | None = None
    traffic: bool = False
    file_exists_behavior: str = "DISALLOW"
    max_revisions: int = layouts.ARCHIVES_TO_RETAIN
    bundle_type: str | None = None
    deployment_id: str | None = None
    #: Seconds between TERM and KILL of a timed-out script's group (the agent never KILLs).
    kill_grace: float = 5.0
    allow_system_destinations: bool = False


@dataclass(frozen=True)
class RehearsalResult:
    deployment_id: str
    deployment_dir: Path
    status: DeploymentStatus
    events: tuple[tuple[str, LifecycleStatus], ...]
    failed_event: str | None = None
    diagnostics: Diagnostics | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is DeploymentStatus.SUCCEEDED


class _StepFailed(Exception):
    def __init__(self, diagnostics: Diagnostics, hint: str | None = None) -> None:
        super().__init__(diagnostics.message)
        self.diagnostics = diagnostics
        self.hint = hint


class _Stopped(Exception):
    def __init__(self, diagnostics: Diagnostics) -> None:
        super().__init__(diagnostics.message)
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class _HookSource:
    revision_dir: Path
    appspec: AppSpec


class Rehearsal:
    """A prepared rehearsal: validated at construction, run once with `run(sink)`."""

    def __init__(self, options: RehearsalOptions, *, clock: Clock | None = None) -> None:
        self.options = options
        self._clock = clock or local_now
        self.bundle = Path(os.path.abspath(options.bundle))
        try:
            self.group_id = layouts.check_group_id(options.group_id)
            self.root = layouts.check_root(options.root, self.bundle)
            self.bundle_type = bundles.detect_type(self.bundle, options.bundle_type)
            if self.bundle_type == "directory":
                bundles.check_directory_bundle(self.bundle)
            self.events = plan_events(options.events, traffic=options.traffic)
        except (layouts.LayoutError, bundles.BundleError, EventsError) as exc:
            raise RehearsalError(str(exc)) from None
        if options.max_revisions < 1:
            raise RehearsalError(
                f"max revisions must be at least 1 (got {options.max_revisions}); the agent "
                "keeps 5 by default"
            )
        behavior = options.file_exists_behavior.upper()
        if behavior not in FILE_EXISTS_BEHAVIORS:
            raise RehearsalError(
                f"file exists behavior {options.file_exists_behavior!r} is not one of "
                f"{', '.join(FILE_EXISTS_BEHAVIORS)}"
            )
        self.file_exists_behavior = behavior
        self.layout = layouts.DeploymentRoot(self.root)
        self.deployment_id = options.deployment_id or layouts.new_deployment_id()
        self.deployment_dir = self.layout.deployment_dir(self.group_id, self.deployment_id)
        self._scripts_log = self.deployment_dir / "logs" / "scripts.log"
        #: revision dir -> its archive and candidate appspec paths (built once, used every event)
        self._revision_paths: dict[Path, _RevisionPaths] = {}
        self.application = options.application or str(options.bundle)
        self._canceller = Canceller()
        self._user = RunningUser.current()
        self._warned: set[str] = set()
        self._base_env: dict[str, str] | None = None
        self._made_dirs = False

    # --- public -----------------------------------------------------------------------------

    @property
    def scripts_log(self) -> Path:
        return self._scripts_log

    def cancel(self) -> None:
        """Stop the rehearsal from any thread: the running script's group gets TERM."""
        self._canceller.cancel()

    def run(self, sink: EventSink) -> RehearsalResult:
        """Run every planned event, emitting events to `sink` from the calling thread."""
        try:
            with self.layout.lock(self.group_id):
                return self._run(sink)
        except layouts.LayoutError as exc:
            raise RehearsalError(str(exc)) from None
        finally:
            self._canceller.close()

    # --- the run ----------------------------------------------------------------------------

    def _run(self, sink: EventSink) -> RehearsalResult:
        self._sink = sink
        self._dlog = DeploymentsLog(self.layout.deployments_log, self._clock)
        started = time.monotonic()
        self._emit(
            DeploymentStarted(
                deployment_id=self.deployment_id,
                application=self.application,
                group=self.options.group_name,
                origin="rehearsal",
                group_id=self.group_id,
                targets=(TARGET_ID,),
                events=self.events,
                revision=str(self.bundle),
            )
        )
        self._notice(f"Starting to execute deployment from within folder {self.deployment_dir}")
        outcomes: list[tuple[str, LifecycleStatus]] = []
        failed: tuple[str, Diagnostics, str | None] | None = None
        status = DeploymentStatus.SUCCEEDED
        interrupted = False
        try:
            for event in self.events:
                if failed is not None or status is DeploymentStatus.STOPPED:
                    outcomes.append((event, self._skip(event)))
                    continue
                if self._canceller.cancelled:
                    status = DeploymentStatus.STOPPED
                    outcomes.append((event, self._skip(event)))
                    continue
                try:
                    outcomes.append((event, self._run_event(event)))
                except _StepFailed as exc:
                    outcomes.append((event, LifecycleStatus.FAILED))
                    failed = (event, exc.diagnostics, exc.hint)
                    status = DeploymentStatus.FAILED
                except _Stopped:
                    outcomes.append((event, LifecycleStatus.FAILED))
                    status = DeploymentStatus.STOPPED
                except KeyboardInterrupt:
                    self._finish_event(
                        event,
                        LifecycleStatus.FAILED,
                        utcnow(),
                        Diagnostics(error_code="UnknownError", message="Interrupted (Ctrl-C)"),
                    )
                    outcomes.append((event, LifecycleStatus.FAILED))
                    status = DeploymentStatus.STOPPED
                    interrupted = True
        finally:
            self._dlog.close()
        result = RehearsalResult(
            deployment_id=self.deployment_id,
            deployment_dir=self.deployment_dir,
            status=status,
            events=tuple(outcomes),
            failed_event=failed[0] if failed else None,
            diagnostics=failed[1] if failed else None,
        )
        self._finish(result, started, failed[2] if failed else None)
        if interrupted:
            raise KeyboardInterrupt
        return result

    def _finish(self, result: RehearsalResult, started: float, hint: str | None) -> None:
        diag = result.diagnostics
        if diag is not None and diag.script_name:
            self._notice(
                "Your local deployment failed while trying to execute your script at "
                f"{self.deployment_dir}/deployment-archive/{diag.script_name}",
                level="error",
            )
        if hint:
            self._notice(f"fix: {hint}", level="warn")
        self._notice(f"See the deployment log at {self.scripts_log} for more details")
        if result.succeeded:
            self._notice("AppSpec file valid. Local deployment successful")
        counts = {"Succeeded": 0, "Failed": 0, "Skipped": 0, "InProgress": 0, "Pending": 0}
        counts["Succeeded" if result.succeeded else "Failed"] = 1
        self._emit(
            DeploymentFinished(
                deployment_id=self.deployment_id,
                status=result.status,
                error_code=_DEPLOYMENT_ERROR_CODES.get(diag.error_code) if diag else None,
                error_message=f"{result.failed_event} failed: {diag.message}" if diag else None,
                explanation="stopped before it finished"
                if result.status is DeploymentStatus.STOPPED
                else None,
                overview=counts,
                duration_seconds=time.monotonic() - started,
            )
        )

    def _run_event(self, event: str) -> LifecycleStatus:
        if not self._made_dirs or not self.deployment_dir.is_dir():
            # as execute_command does; `logs/` comes with the first script (as the agent's)
            self.deployment_dir.mkdir(parents=True, exist_ok=True)
            self._made_dirs = True
        if event == "DownloadBundle":
            return self._step(event, self._download_bundle)
        if event == "Install":
            return self._step(event, self._install)
        return self._hook(event)

    def _step(self, event: str, body: Callable[[], None]) -> LifecycleStatus:
        begun = utcnow()
        self._start_event(event, begun)
        try:
            body()
        except _StepFailed as exc:
            self._finish_event(event, LifecycleStatus.FAILED, begun, exc.diagnostics)
            raise
        self._finish_event(event, LifecycleStatus.SUCCEEDED, begun)
        return LifecycleStatus.SUCCEEDED

    # --- DownloadBundle and Install -----------------------------------------------------------

    def _download_bundle(self) -> None:
        try:
            for pruned in self.layout.prune(
                self.group_id, self.deployment_dir, self.options.max_revisions
            ):
                self._notice(f"Pruned old revision {pruned}", level="debug")
            if bundles.place_bundle(self.bundle, self.bundle_type, self.deployment_dir):
                self._notice("Stripping leading directory from archive bundle contents.")
            self.layout.instructions_dir.mkdir(parents=True, exist_ok=True)
            self.layout.record_most_recent(self.group_id, self.deployment_dir)
        except bundles.BundleError as exc:
            raise _StepFailed(_unknown(str(exc))) from None
        except OSError as exc:
            raise _StepFailed(_unknown(errno_message(exc))) from None

    def _install(self) -> None:
        paths = self._paths(self.deployment_dir)
        archive = paths.archive
        found = paths.appspec()
        name = found.name if found is not None else bundles.APPSPEC_NAMES[0]
        appspec = _read_appspec(found or archive / name)
        self._appspec_warnings(appspec)
        problem = check_appspec_hooks(appspec, self.events, name)
        if problem is not None:
            raise _StepFailed(_unknown(problem[0]), problem[1])
        try:
            check_destinations(appspec, allow_system=self.options.allow_system_destinations)
            install(
                self.layout,
                self.group_id,
                archive,
                appspec,
                file_exists_behavior=self.file_exists_behavior,
                warn=lambda text: self._notice(text, level="warn"),
            )
        except InstallError as exc:
            raise _StepFailed(_unknown(exc.message), exc.hint) from None
        self.layout.record_last_successful(self.group_id, self.deployment_dir)

    # --- hooks ------------------------------------------------------------------------------

    def _hook(self, event: str) -> LifecycleStatus:
        try:
            source = self._hook_source(event)
        except _StepFailed as exc:
            begun = utcnow()
            self._start_event(event, begun)
            self._finish_event(event, LifecycleStatus.FAILED, begun, exc.diagnostics)
            raise
        if source is None:
            return self._skip(
                event,
                "no last successful revision in this deployment group (first deployment): "
                "the agent skips this event",
            )
        scripts = source.appspec.scripts_for(event)
        ran = source.revision_dir.name if source.revision_dir != self.deployment_dir else None
        if not scripts:
            return self._skip(event, f"the appspec has no {event} hook", ran)
        begun = utcnow()
        self._start_event(event, begun, ran)
        run = HookRun(
            event=event,
            deployment_id=self.deployment_id,
            archive=self._paths(source.revision_dir).archive,
            scripts=scripts,
            env=self._environment(event),
            scripts_log=self.scripts_log,
            deployments_log=self._dlog,
            on_output=lambda stream, text: self._emit(
                HookOutput(
                    deployment_id=self.deployment_id,
                    target_id=TARGET_ID,
                    event=event,
                    stream=stream,
                    text=text,
                )
            ),
            warn=lambda text: self._notice(text, level="warn"),
            clock=self._clock,
            user=self._user,
            canceller=self._canceller,
            kill_grace=self.options.kill_grace,
        )
        try:
            run.execute()
        except ScriptError as exc:
            diagnostics = Diagnostics(
                error_code=exc.error_code,
                script_name=exc.script_name,
                message=exc.message,
                log_tail=exc.log_tail,
            )
            self._finish_event(event, LifecycleStatus.FAILED, begun, diagnostics, ran)
            hint = None
            if ran is not None:
                hint = (
                    f"this {event} script comes from the last successful revision ({ran}). A "
                    "real deployment can pass ignoreApplicationStopFailures; to rehearse afresh, "
                    f"delete {self.layout.last_successful_file(self.group_id)}"
                )
            raise _StepFailed(diagnostics, hint) from None
        except HookCancelled as exc:
            diagnostics = Diagnostics(
                error_code="UnknownError",
                script_name=exc.script_name,
                message=f"Stopped: the rehearsal was cancelled while {exc.script_name} ran; "
                "its process group was terminated",
                log_tail=exc.log_tail,
            )
            self._finish_event(event, LifecycleStatus.FAILED, begun, diagnostics, ran)
            raise _Stopped(diagnostics) from None
        except KeyboardInterrupt:
            raise
        self._finish_event(event, LifecycleStatus.SUCCEEDED, begun, None, ran)
        return LifecycleStatus.SUCCEEDED

    def _hook_source(self, event: str) -> _HookSource | None:
        """`select_correct_deployment_root_dir` + `parse_app_spec`; None = nothing to run from."""
        revision_dir: Path | None = self.deployment_dir
        if (
            event in PREVIOUS_REVISION_EVENTS
            and not self._paths(self.deployment_dir).archive.exists()
        ):
            revision_dir = self.layout.last_successful_dir(self.group_id)
            if revision_dir is None:
                return None
        assert revision_dir is not None
        paths = self._paths(revision_dir)
        archive = paths.archive
        found = paths.appspec()
        name = found.name if found is not None else bundles.APPSPEC_NAMES[0]
        path = found or archive / name
        if found is None:
            raise _StepFailed(
                _unknown(
                    "The CodeDeploy agent did not find an AppSpec file within the unpacked "
                    f'revision directory at revision-relative path "{name}". The revision was '
                    f'unpacked to directory "{archive}", and the AppSpec file was expected but '
                    f'not found at path "{path}". Consult the AWS CodeDeploy Appspec '
                    "documentation for more information at "
                    "http://docs.aws.amazon.com/codedeploy/latest/userguide/"
                    "reference-appspec-file.html"
                )
            )
        appspec = _read_appspec(path)
        if revision_dir == self.deployment_dir:
            self._appspec_warnings(appspec)
        return _HookSource(revision_dir, appspec)

    def _paths(self, revision_dir: Path) -> _RevisionPaths:
        paths = self._revision_paths.get(revision_dir)
        if paths is None:
            paths = self._revision_paths[revision_dir] = _RevisionPaths.of(revision_dir)
        return paths

    def _environment(self, event: str) -> dict[str, str]:
        """The rehearsal's own environment (read once per run) plus the five variables."""
        if self._base_env is None:
            self._base_env = dict(os.environ)
        env = dict(self._base_env)
        env.update(
            {
                "LIFECYCLE_EVENT": event,
                "DEPLOYMENT_ID": self.deployment_id,
                "APPLICATION_NAME": self.application,
                "DEPLOYMENT_GROUP_NAME": self.options.group_name,
                "DEPLOYMENT_GROUP_ID": self.group_id,
            }
        )
        return env

    # --- emitting ---------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        self._sink.emit(event)

    def _notice(self, text: str, *, level: Level = "info") -> None:
        self._emit(Notice(text=text, level=level))

    def _appspec_warnings(self, appspec: AppSpec) -> None:
        for warning in appspec.warnings:
            if warning not in self._warned:
                self._warned.add(warning)
                self._notice(warning, level="warn")

    def _start_event(self, event: str, begun: datetime, ran: str | None = None) -> None:
        self._emit(
            LifecycleEventChanged(
                deployment_id=self.deployment_id,
                target_id=TARGET_ID,
                event=event,
                status=LifecycleStatus.IN_PROGRESS,
                started_at=begun,
                ran_revision=ran,
            )
        )

    def _finish_event(
        self,
        event: str,
        status: LifecycleStatus,
        begun: datetime | None,
        diagnostics: Diagnostics | None = None,
        ran: str | None = None,
    ) -> None:
        self._emit(
            LifecycleEventChanged(
                deployment_id=self.deployment_id,
                target_id=TARGET_ID,
                event=event,
                status=status,
                started_at=begun,
                ended_at=utcnow(),
                diagnostics=diagnostics,
                ran_revision=ran,
            )
        )

    def _skip(
        self, event: str, reason: str | None = None, ran: str | None = None
    ) -> LifecycleStatus:
        diagnostics = (
            Diagnostics(error_code="Success", message=f"Skipped: {reason}") if reason else None
        )
        self._finish_event(event, LifecycleStatus.SKIPPED, None, diagnostics, ran)
        return LifecycleStatus.SKIPPED


def _unknown(message: str) -> Diagnostics:
    return Diagnostics(error_code="UnknownError", message=message)


def _read_appspec(path: Path) -> AppSpec:
    """`load_appspec`, its failures as the step's UnknownError."""
    try:
        return load_appspec(path)
    except AppSpecError as exc:
        raise _StepFailed(_unknown(exc.message), exc.hint) from None
    except OSError as exc:
        raise _StepFailed(_unknown(errno_message(exc, "rb_sysopen"))) from None


@dataclass(frozen=True)
class _RevisionPaths:
    """A revision's `deployment-archive` and where its appspec may be."""

    archive: Path
    candidates: tuple[Path, ...]

    @classmethod
    def of(cls, revision_dir: Path) -> _RevisionPaths:
        archive = revision_dir / "deployment-archive"
        return cls(archive, tuple(archive / name for name in bundles.APPSPEC_NAMES))

    def appspec(self) -> Path | None:
        """`app_spec_real_path`: appspec.yml, else appspec.yaml, else None (the caller fails
        naming appspec.yml). Looked up afresh every time: a hook may have changed the files."""
        for path in self.candidates:
            if path.exists():
                return path
        return None
