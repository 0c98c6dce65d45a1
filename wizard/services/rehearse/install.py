"""The Install step, as `installer.rb` and `install_instruction.rb` do it.

1. Remove what the previous Install of this group created (`<group>-cleanup`, newest first: files
   and links removed, directories removed only when empty), then delete the cleanup file.
2. Turn `files` into mkdir/copy instructions against the destinations *as they are now*: an
   existing file is an error (DISALLOW), replaced (OVERWRITE) or kept and not recorded (RETAIN);
   the appspec's `file_exists_behavior` wins over the deployment's. Then `permissions`, which only
   touch what this Install creates.
3. Write `<group>-install.json`, then execute while writing the new `<group>-cleanup` (each path
   recorded as it is made, so a half-done Install can still be cleaned up next time).

So a DISALLOW conflict fails *after* the old revision's files are gone, as on a real instance.
Deviation: `acls` and SELinux `context` are recorded but not applied (a warning says so).
"""

from __future__ import annotations

import contextlib
import errno
import grp
import json
import os
import pwd
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wizard.core.system_paths import is_system_dir
from wizard.services.rehearse.appspec import AppSpec, AppSpecError, Permission
from wizard.services.rehearse.layout import DeploymentRoot, replace_file
from wizard.services.rehearse.rubyisms import expand_path, file_join

Warn = Callable[[str], None]


class InstallError(RuntimeError):
    """Install failed; the message is the agent's (Ruby `RuntimeError` / `Errno::*`)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class Instruction:
    kind: str
    path: str
    source: str | None = None
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    acls: tuple[str, ...] | None = None
    context: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        if self.kind == "copy":
            return {"type": "copy", "source": self.source, "destination": self.path}
        if self.kind == "mkdir":
            return {"type": "mkdir", "directory": self.path}
        if self.kind == "chmod":
            return {"type": "chmod", "mode": self.mode, "file": self.path}
        if self.kind == "chown":
            return {"type": "chown", "owner": self.owner, "group": self.group, "file": self.path}
        if self.kind == "setfacl":
            return {"type": "setfacl", "acl": list(self.acls or ()), "file": self.path}
        return {"type": "semanage", "context": self.context, "file": self.path}


@dataclass
class InstructionBuilder:
    """`CommandBuilder`: copy/mkdir/permission instructions with the agent's duplicate checks."""

    commands: list[Instruction] = field(default_factory=list)
    copy_targets: dict[str, str] = field(default_factory=dict)
    mkdir_targets: dict[str, None] = field(default_factory=dict)  # ordered set
    permission_targets: set[str] = field(default_factory=set)

    def copy(self, source: str, destination: str) -> None:
        destination = expand_path(destination)
        if destination in self.copy_targets:
            raise InstallError(
                "The deployment failed because the application specification file specifies two "
                f"source files named {source} and {self.copy_targets[destination]} for the same "
                f"destination ({destination}). Remove one of the source file paths from the "
                "AppSpec file, and then try again."
            )
        if destination in self.mkdir_targets:
            raise InstallError(
                "The deployment failed because the application specification file calls for "
                f"installing the file {source}, but a file with that name already exists at the "
                f"location ({destination}). Update your AppSpec file or directory structure, and "
                "then try again."
            )
        self.commands.append(Instruction("copy", destination, source=source))
        self.copy_targets[destination] = source

    def mkdir(self, destination: str) -> None:
        destination = expand_path(destination)
        if destination in self.copy_targets:
            raise InstallError(
                "The deployment failed because the application specification file includes an "
                f"mkdir command more than once for the same destination path ({destination}) "
                f"from ({self.copy_targets[destination]}). Update the files section of the "
                "AppSpec file, and then try again."
            )
        if destination not in self.mkdir_targets:
            self.commands.append(Instruction("mkdir", destination))
        self.mkdir_targets[destination] = None

    def set_permissions(self, obj: str, permission: Permission) -> None:
        obj = expand_path(obj)
        if obj in self.permission_targets:
            raise InstallError(
                f"The deployment failed because the permissions setting for ({obj}) is specified "
                "more than once in the application specification file. Update the files section "
                "of the AppSpec file, and then try again."
            )
        self.permission_targets.add(obj)
        if permission.mode is not None:
            self.commands.append(Instruction("chmod", obj, mode=permission.mode))
        if permission.acls is not None:
            self.commands.append(Instruction("setfacl", obj, acls=permission.acls))
        if permission.context is not None:
            self.commands.append(Instruction("semanage", obj, context=dict(permission.context)))
        if permission.owner is not None or permission.group is not None:
            self.commands.append(
                Instruction("chown", obj, owner=permission.owner, group=permission.group)
            )

    def find_matches(self, permission: Permission) -> list[str]:
        matches = []
        if "file" in permission.types:
            matches += [
                o
                for o in self.copy_targets
                if permission.matches_pattern(o) and not permission.matches_except(o)
            ]
        if "directory" in permission.types:
            matches += [
                o
                for o in self.mkdir_targets
                if permission.matches_pattern(o) and not permission.matches_except(o)
            ]
        return matches


def check_destinations(appspec: AppSpec, *, allow_system: bool) -> None:
    """Rehearsal guard: refuse to install straight into `/`, `/usr`, `/etc` and the like."""
    if allow_system:
        return
    for mapping in appspec.files:
        destination = expand_path(mapping.destination)
        if is_system_dir(destination):
            raise InstallError(
                f"The rehearsal refuses to install into the system folder {destination} "
                f"(files: source {mapping.source})",
                "give the appspec a dedicated destination such as /srv/<app>, or pass "
                "--allow-system-destinations if you really mean it",
            )


def install(
    layout: DeploymentRoot,
    group_id: str,
    archive: Path,
    appspec: AppSpec,
    *,
    file_exists_behavior: str,
    warn: Warn,
) -> list[Instruction]:
    """Run the Install step; returns the executed instructions. Raises `InstallError`."""
    layout.instructions_dir.mkdir(parents=True, exist_ok=True)
    cleanup_file = layout.cleanup_file(group_id)
    try:
        if cleanup_file.exists():
            remove_previous(cleanup_file.read_text(encoding="utf-8", errors="surrogateescape"))
            cleanup_file.unlink()
        commands = generate(archive, appspec, file_exists_behavior)
    except AppSpecError as exc:
        raise InstallError(exc.message, exc.hint) from None
    except OSError as exc:
        raise InstallError(errno_message(exc)) from None
    payload = {"instructions": [c.to_json() for c in commands]}
    _write_instructions(
        layout.install_file(group_id),
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
    )
    with open(cleanup_file, "w", encoding="utf-8", errors="surrogateescape") as record:
        for command in commands:
            try:
                _execute(command, record, warn)
            except OSError as exc:
                raise InstallError(errno_message(exc)) from None
            except KeyError as exc:
                raise InstallError(str(exc.args[0])) from None
    return commands


def _write_instructions(path: Path, text: str) -> None:
    """Replace `<group>-install.json` atomically, unless it already holds exactly `text` (the
    same bundle installed again): a replacement is a new inode plus a rename over the old file,
    ~0.3 ms on ext4, for a file that would not change."""
    try:
        with open(path, encoding="utf-8") as current:
            unchanged = (
                os.fstat(current.fileno()).st_mode & 0o7777 == 0o644 and current.read() == text
            )
    except (OSError, UnicodeDecodeError):
        unchanged = False
    if not unchanged:
        replace_file(path, text)


def remove_previous(contents: str) -> None:
    """`parse_remove_commands` + `RemoveCommand#execute`, newest entry first."""
    if not contents:
        return
    lines = contents.splitlines(keepends=True)
    if not lines[-1].endswith("\n"):
        lines.pop()  # an unfinished last entry
    for line in reversed(lines):
        if line.startswith("semanage\0"):
            continue  # SELinux contexts are never applied by a rehearsal
        path = line.strip()
        if not path.startswith("/") or path == "/":
            continue
        if os.path.islink(path):
            os.unlink(path)
        elif os.path.isdir(path):
            try:
                os.rmdir(path)
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
        elif os.path.exists(path):
            os.unlink(path)


def generate(archive: Path, appspec: AppSpec, fallback_behavior: str) -> list[Instruction]:
    """`Installer#generate_instructions`: copies, then permissions."""
    builder = InstructionBuilder()
    behavior = appspec.file_exists_behavior or fallback_behavior
    for mapping in appspec.files:
        source = file_join(str(archive), mapping.source)
        if os.path.isdir(source):
            _fill_missing_ancestors(builder, mapping.destination)
            _directory_copy(builder, source, mapping.destination, behavior)
        else:
            target = file_join(mapping.destination, os.path.basename(source.rstrip("/")))
            _fill_missing_ancestors(builder, target)
            _normal_copy(builder, source, target, behavior)
    for permission in appspec.permissions:
        obj = permission.object
        if expand_path(obj) in builder.copy_targets:
            if "file" in permission.types:
                permission.validate_file_permission()
                builder.set_permissions(obj, permission)
        elif expand_path(obj) in builder.mkdir_targets or os.path.isdir(obj):
            for match in builder.find_matches(permission):
                builder.set_permissions(match, permission)
    return builder.commands


def _directory_copy(
    builder: InstructionBuilder, source: str, destination: str, behavior: str
) -> None:
    if not os.path.isdir(destination):
        builder.mkdir(destination)
    for entry in sorted(os.listdir(source)):
        entry_source = file_join(source, entry)
        entry_destination = file_join(destination, entry)
        if os.path.isdir(entry_source):
            _directory_copy(builder, entry_source, entry_destination, behavior)
        else:
            _normal_copy(builder, entry_source, entry_destination, behavior)


def _normal_copy(builder: InstructionBuilder, source: str, destination: str, behavior: str) -> None:
    if os.path.exists(destination):
        if behavior == "DISALLOW":
            raise InstallError(
                "The deployment failed because a specified file already exists at this location: "
                f"{destination}",
                "the file is not from the previous revision of this deployment group: remove it, "
                "or set file_exists_behavior to OVERWRITE or RETAIN (appspec or "
                "--file-exists-behavior)",
            )
        if behavior == "OVERWRITE":
            builder.copy(source, destination)
        elif behavior != "RETAIN":
            raise InstallError(
                "The deployment failed because an invalid option was specified for "
                f"fileExistsBehavior: {behavior}. Valid options include OVERWRITE, RETAIN, and "
                "DISALLOW."
            )
    else:
        builder.copy(source, destination)


def _fill_missing_ancestors(builder: InstructionBuilder, destination: str) -> None:
    missing: list[str] = []
    parent = os.path.dirname(destination)
    while not os.path.exists(parent) and parent not in (".", "/", ""):
        missing.insert(0, parent)
        parent = os.path.dirname(parent)
    for directory in missing:
        builder.mkdir(directory)


def _execute(command: Instruction, record: IO[str], warn: Warn) -> None:
    if command.kind == "copy":
        record.write(command.path + "\n")
        record.flush()
        assert command.source is not None
        if os.path.islink(command.source):
            os.symlink(os.readlink(command.source), command.path)
        else:
            _copy_preserving(command.source, command.path)
    elif command.kind == "mkdir":
        os.mkdir(command.path)
        record.write(command.path + "\n")
        record.flush()
    elif command.kind == "chmod":
        assert command.mode is not None
        os.chmod(command.path, int(command.mode, 8))
    elif command.kind == "chown":
        uid = _lookup_uid(command.owner) if command.owner else -1
        gid = _lookup_gid(command.group) if command.group else -1
        os.chown(command.path, uid, gid)
    else:
        warn(
            f"{command.kind} for {command.path} is not applied by a rehearsal (the agent runs "
            f"{'setfacl' if command.kind == 'setfacl' else 'semanage/restorecon'} here)"
        )


def _copy_preserving(source: str, destination: str) -> None:
    """`FileUtils.copy(src, dst, preserve: true)`: content, mode, times; owner when allowed."""
    shutil.copy2(source, destination)
    if os.geteuid() == 0:
        st = os.stat(source)
        with contextlib.suppress(OSError):
            os.chown(destination, st.st_uid, st.st_gid)


def _lookup_uid(name: str) -> int:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        raise KeyError(f"can't find user for {name}") from None


def _lookup_gid(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise KeyError(f"can't find group for {name}") from None


def errno_message(exc: OSError) -> str:
    """A Ruby `Errno::*` message: `No such file or directory @ rb_sysopen - /path`."""
    text = exc.strerror or str(exc)
    where = exc.filename if exc.filename is not None else ""
    return f"{text} - {where}" if where else text
