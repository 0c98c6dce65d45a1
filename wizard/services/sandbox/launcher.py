"""The embedded AWS emulator: moto in server mode, in this process, on 127.0.0.1:<free port>.

    with Sandbox(state_file=out / ".cdwizard/sandbox-state.pkl.gz") as box:
        env = terraform_env(extra=box.terraform_env())    # for terraform processes only
        box.ensure_repository("devops-python-service")
        ...                                                # state is saved on exit

moto keeps its data in module-level backends, so there is one sandbox per process at a time.

Saving is safe at any moment: requests pass a gate (`gate.RequestGate`), and a save holds new
ones back until the state is written, so terraform can keep applying while it happens. A process
that served no request since the last save does not write the file at all, and a process never
overwrites a state file that another process wrote after this one loaded it. Every save writes a
stamp next to the state (`reconcile`), so the next start can tell whether terraform's state moved
on without the emulator.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.services.sandbox import (
    BUCKET_LIFECYCLE_VARIABLE,
    ENDPOINT_VARIABLE,
    bucket_lifecycle_wanted,
    git_remotes,
)
from wizard.services.sandbox.gate import RequestGate
from wizard.services.sandbox.wire import Fault

#: moto's default account; every ARN in the sandbox has it.
ACCOUNT_ID = "123456789012"
#: Throw-away credentials: the emulator accepts any; they exist only in this process's children.
FAKE_KEY = "cdwizard-sandbox"

#: Variables that would send the provider to a real account or a proxy instead of the emulator.
_REAL_AWS_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_ENDPOINT_URL",
)

_SERVER_LOGS = ("werkzeug", "cdwizard.sandbox")

_lock = threading.Lock()
#: the sandbox running in this process, if any (moto's backends are process-wide)
_running: list[Sandbox] = []


#: Set to 1 to start an empty sandbox, keeping the workspace's state file aside.
FRESH_ENV = "CDWIZARD_SANDBOX_FRESH"


def fresh_requested() -> bool:
    import os

    return os.environ.get(FRESH_ENV, "").strip().lower() in ("1", "true", "yes")


def _set_aside(path: Path) -> Path:
    from datetime import datetime

    aside = path.with_name(f"{path.name}.{datetime.now():%Y%m%d-%H%M%S}.old")
    path.replace(aside)
    return aside


def _unusable(path: Path, exc: Any) -> str:
    """One message: which file, why, who wrote it, and the two ways on."""
    from wizard import __version__
    from wizard.services.sandbox.compat import moto_version

    by = exc.written_by()
    now = f"cdwizard {__version__} with moto {moto_version()}"
    written = f" It was written by {by}; this is {now}." if by else ""
    return (
        f"cannot use the sandbox state {path}: {exc.reason}.{written} To start a fresh, empty "
        f"sandbox (the emulated resources are forgotten; the next apply creates them again), "
        f"run the same command with {FRESH_ENV}=1: the old file is kept next to it as "
        f"{path.name}.<date>.old."
    )


def running_sandbox() -> Sandbox | None:
    """The sandbox running in this process, if any (whoever polls it can report its faults)."""
    with _lock:
        return _running[0] if _running and _running[0]._server is not None else None


class SandboxError(Exception):
    """The emulator could not start (moto missing, another sandbox running, bad state file)."""


class StateReplaced(SandboxError):
    """The state file was written by another process after this one loaded it: ours went to a
    side file instead of overwriting theirs."""


class _BestEffortFileHandler(logging.FileHandler):
    """The emulator's request log: a line that cannot be written (a full disk) is dropped, not
    reported with a traceback on stderr (logging's default)."""

    def handleError(self, record: logging.LogRecord) -> None:
        return None


def _identity(path: Path) -> tuple[int, int, int] | None:
    """What tells one version of a file from another: inode, mtime, size (None: no file)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


class Sandbox:
    def __init__(
        self,
        *,
        region: str = "eu-west-1",
        state_file: Path | None = None,
        log_file: Path | None = None,
        terraform_state: Path | None = None,
    ) -> None:
        self.region = region
        self.state_file = Path(state_file) if state_file else None
        self.log_file = Path(log_file) if log_file else None
        #: terraform's local state next to this sandbox: its serial goes into each save's stamp
        self.terraform_state = Path(terraform_state) if terraform_state else None
        self.restored = 0
        #: the sandbox's GitHub/GitLab/Bitbucket: bare repositories next to the state file
        self.git_root = git_remotes.root_for_state(self.state_file) if self.state_file else None
        #: a notice for the user (moto outside the tested range), set by `start()`
        self.warning: str | None = None
        #: where an unusable state file went when a fresh start was asked for (`FRESH_ENV`)
        self.set_aside: Path | None = None
        self._told: set[tuple[str, str, str]] = set()
        self._server: Any = None
        self._endpoint: str | None = None
        self._clients: AwsClients | None = None
        self._log_handler: logging.Handler | None = None
        self._gate: RequestGate | None = None
        self._saved_served = 0
        self._changed = False
        self._loaded: tuple[int, int, int] | None = None
        self._save_lock = threading.Lock()

    @classmethod
    def for_workspace(cls, out: Path, region: str = "eu-west-1") -> Sandbox:
        """The sandbox whose state lives in the workspace `out` (next to terraform's)."""
        from wizard.services.sandbox import LOG_FILE, STATE_FILE

        out = Path(out)
        return cls(
            region=region,
            state_file=out / STATE_FILE,
            log_file=out / LOG_FILE,
            terraform_state=out / "terraform" / "terraform.tfstate",
        )

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> str:
        """Check moto, install shims and extensions, restore saved state, start the server;
        its URL. Refuses (`SandboxError`) before anything starts when moto lacks a precondition."""
        from wizard.services.sandbox.compat import check

        report = check()
        if not report.ok:
            raise SandboxError(report.refusal())
        self.warning = report.warning()
        with _lock:
            if _running:
                raise SandboxError("a sandbox is already running in this process")
            _running.append(self)
        try:
            from wizard.services.sandbox.extensions import install_all
            from wizard.services.sandbox.shims import install_shims

            install_shims()
            install_all()
            # A sandbox starts empty (or from its state file), never with backends some earlier
            # moto use in this process left behind -- those were also created before the shims
            # set MOTO_IAM_LOAD_MANAGED_POLICIES, so IAM would lack the AWS managed policies.
            self.reset()
            git_remotes.set_root(self.git_root)
            self._quiet_server_log()
            if self.state_file:
                self._loaded = _identity(self.state_file)
            if self.state_file and self.state_file.is_file():
                self._restore(self.state_file)
            from wizard.services.sandbox.seed import seed_public_parameters

            seed_public_parameters(ACCOUNT_ID, self.region)
            from wizard.services.sandbox.server import EmulatorServer

            self._server = EmulatorServer("127.0.0.1", 0)
            self._server.start()
            self._gate = self._server.gate
            self._saved_served = 0
            host, port = self._server.get_host_and_port()
            self._endpoint = f"http://{host}:{port}"
            # a fresh start replaced the saved state with an empty one: that is a change to save
            self._changed = self.set_aside is not None
            return self._endpoint
        except BaseException:
            self._release()
            raise

    def _restore(self, path: Path) -> None:
        """Load the saved state; with `FRESH_ENV` set, set it aside and start empty instead. An
        unusable file is a `SandboxError` saying why and how to start fresh, never a traceback."""
        from wizard.services.sandbox.persistence import StateError, load_state

        if fresh_requested():
            self.set_aside = _set_aside(path)
            self._loaded = None  # the file is gone: the next save writes a new one
            return
        try:
            self.restored = load_state(path)
        except StateError as exc:
            raise SandboxError(_unusable(path, exc)) from None
        except Exception as exc:  # a moto object that unpickled but does not fit back in
            raise SandboxError(
                _unusable(path, StateError(f"{type(exc).__name__}: {exc}"))
            ) from None

    def stop(self, *, save: bool = True) -> None:
        """Stop the server (and save the state first when a state file is set and this process
        changed something)."""
        if self._server is None:
            return
        try:
            if save:
                self.save()
        finally:
            try:
                self._server.stop()
            finally:
                self._server = None
                self._endpoint = None
                self._clients = None
                self._gate = None
                self._release()

    @property
    def dirty(self) -> bool:
        """Something may have changed since the state was loaded or last saved."""
        if self._changed or self._gate is None:
            return True
        return self._gate.served != self._saved_served

    def save(self, *, force: bool = False) -> int:
        """Write the state file now, if this process changed anything since it was loaded or
        last saved (`force`: even if not); returns the number of backends written (0 when
        nothing was). Requests wait while the state is taken; a file another process wrote since
        we loaded it is not overwritten (`StateReplaced`)."""
        if not self.state_file:
            return 0
        from wizard.services.sandbox.persistence import save_state
        from wizard.services.sandbox.reconcile import write_stamp

        with self._save_lock:
            if not (force or self.dirty):
                return 0
            target = self.state_file
            replaced = _identity(target) != self._loaded
            if replaced:
                target = target.with_name(f"{target.name}.{os.getpid()}.conflict")
            with self._paused():
                count = save_state(target)
                self._saved_served = self._gate.served if self._gate is not None else 0
                self._changed = False
            if replaced:
                raise StateReplaced(
                    f"the sandbox state {self.state_file} was written by another process after "
                    f"this one loaded it; it was left as it is, and this run's emulator state "
                    f"went to {target}"
                )
            self._loaded = _identity(target)
            write_stamp(target, self.terraform_state)
        return count

    def _paused(self) -> Any:
        return self._gate.paused() if self._gate is not None else contextlib.nullcontext()

    def mismatch(self, leftovers: str = "cdwizard leftovers") -> Any:
        """How the loaded state disagrees with terraform's state (a `reconcile.Mismatch`), or
        None. `leftovers` is the command to suggest for listing leftovers."""
        if not self.state_file or not self.state_file.is_file():
            return None
        from wizard.services.sandbox.reconcile import check

        return check(self.state_file, self.terraform_state, leftovers)

    def faults(self) -> list[Fault]:
        """Emulator failures since the last call (each once)."""
        return self._server.faults.drain() if self._server is not None else []

    def describe_faults(self) -> str | None:
        """One line about the emulator failures since the last call that were not reported
        yet (a call failing the same way again is not news), or None: what failed and where
        the traceback is."""
        faults = [f for f in self.faults() if (f.service, f.operation, f.error) not in self._told]
        if not faults:
            return None
        self._told.update((f.service, f.operation, f.error) for f in faults)
        first = faults[0]
        more = f" (and {len(faults) - 1} more failed call(s))" if len(faults) > 1 else ""
        where = f"; traceback in {self.log_file}" if self.log_file else ""
        return f"sandbox: {first.describe()}{more}{where}"

    def reset(self) -> None:
        """Forget every emulated resource (moto's own reset)."""
        from moto.core.base_backend import BackendDict

        BackendDict.reset()
        self._changed = True

    def _release(self) -> None:
        with _lock:
            if self in _running:
                _running.remove(self)
        if self._log_handler is not None:
            for name in _SERVER_LOGS:
                logging.getLogger(name).removeHandler(self._log_handler)
            self._log_handler.close()
            self._log_handler = None

    def _quiet_server_log(self) -> None:
        # werkzeug logs each request and the traceback of any emulator error to stderr; that
        # would interleave with our output, so it goes to the sandbox log file (or nowhere), with
        # the wire adapter's own error log. The commands show each failure as one line.
        if self.log_file:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = _BestEffortFileHandler(self.log_file, encoding="utf-8")
        else:
            handler = logging.NullHandler()
        for name in _SERVER_LOGS:
            log = logging.getLogger(name)
            log.propagate = False
            # a dictConfig elsewhere in the process (import-linter's, an embedding app's) disables
            # loggers that already exist: the emulator's tracebacks must still reach its log
            log.disabled = False
            log.addHandler(handler)
        self._log_handler = handler

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what others need ---------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        if self._endpoint is None:
            raise SandboxError("the sandbox is not running")
        return self._endpoint

    @property
    def target(self) -> AwsTarget:
        return AwsTarget(
            region=self.region,
            endpoint_url=self.endpoint,
            access_key_id=FAKE_KEY,
            secret_access_key=FAKE_KEY,
        )

    @property
    def clients(self) -> AwsClients:
        if self._clients is None or self._clients.target.endpoint_url != self.endpoint:
            self._clients = AwsClients(self.target, max_attempts=2)
        return self._clients

    def terraform_env(self) -> dict[str, str | None]:
        """Environment changes for terraform processes: endpoint variable, fake credentials,
        no real-AWS credentials, no proxy for loopback. `None` values mean "remove"."""
        env: dict[str, str | None] = {key: None for key in _REAL_AWS_ENV}
        env.update(
            {
                f"TF_VAR_{ENDPOINT_VARIABLE}": self.endpoint,
                f"TF_VAR_{BUCKET_LIFECYCLE_VARIABLE}": str(bucket_lifecycle_wanted()).lower(),
                "AWS_ACCESS_KEY_ID": FAKE_KEY,
                "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_EC2_METADATA_DISABLED": "true",
                "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost",
            }
        )
        return env

    def ensure_repository(self, name: str) -> bool:
        """Create the CodeCommit repository unless it exists; True when it was created."""
        cc = self.clients.client("codecommit")
        try:
            cc.get_repository(repositoryName=name)
            return False
        except cc.exceptions.RepositoryDoesNotExistException:
            cc.create_repository(
                repositoryName=name, repositoryDescription="created by the cdwizard sandbox"
            )
            return True

    def ensure_source_bucket(self, name: str) -> bool:
        """Create an S3 source bucket the answers say exists (versioned, EventBridge
        notifications on) unless it does; True when it was created."""
        s3 = self.clients.client("s3")
        try:
            s3.head_bucket(Bucket=name)
            return False
        except s3.exceptions.ClientError:
            pass
        where = {} if self.region == "us-east-1" else {"LocationConstraint": self.region}
        s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": where} if where else {}))
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        return True
