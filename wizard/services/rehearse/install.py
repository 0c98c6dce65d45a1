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
Folders are walked in directory order (`Dir.entries`, not sorted), so the first conflict reported
and the order of the instruction and cleanup files are the agent's. Files are copied like
`FileUtils.copy(preserve: true)` (`files.copy_preserving`).

`acls` are applied with `setfacl --set` as the agent applies them (when this machine has no
setfacl, or the filesystem no ACLs, a warning says they were checked but not applied). SELinux
`context` is checked and written into `<group>-install.json` but never applied: the agent's
`semanage fcontext -a` changes the machine's SELinux policy, which a rehearsal does not touch.
"""

from __future__ import annotations

import errno
import grp
import json
import os
import pwd
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wizard.core.system_paths import is_system_dir
from wizard.services.rehearse.acl import AclApplication
from wizard.services.rehearse.appspec import AppSpec, AppSpecError, Permission
from wizard.services.rehearse.files import CopyError, copy_preserving
from wizard.services.rehearse.layout import DeploymentRoot, replace_file
from wizard.services.rehearse.rubyisms import errno_message, expand_path, file_join
from wizard.services.rehearse.selinux import SelinuxContext

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
    acl: AclApplication | None = None
    context: SelinuxContext | None = None

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
            assert self.acl is not None
            return {"type": "setfacl", "acl": self.acl.acl.texts(), "file": self.path}
        assert self.context is not None
        return {"type": "semanage", "context": self.context.to_json(), "file": self.path}


@dataclass
class InstructionBuilder:
    """`CommandBuilder`: copy/mkdir/permission instructions with the agent's duplicate checks."""

    commands: list[Instruction] = field(default_factory=list)
    copy_targets: dict[str, str] = field(default_factory=dict)
    mkdir_targets: dict[str, None] = field(default_factory=dict)  # ordered set
    permission_targets: set[str] = field(default_factory=set)
    #: one per permission entry: the agent's AclInfo, shared by every object it matches
    acls: dict[int, AclApplication] = field(default_factory=dict)

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
            acl = self.acls.setdefault(id(permission), AclApplication(permission.acls))
            self.commands.append(Instruction("setfacl", obj, acl=acl))
        if permission.context is not None:
            self.commands.append(Instruction("semanage", obj, context=permission.context))
        if permission.owner is not None or permission.group is not None:
            self.commands.append(
                Instruction("chown", obj, owner=permission.owner, group=permission.group)
            )

    def find_matches(self, permission: Permission) -> list[str]:
        matches = []
        if "file" in permission.types:
            for o in self.copy_targets:
                if permission.matches_pattern(o) and not permission.matches_except(o):
                    permission.validate_file_acl()
                    matches.append(o)
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
            remove_previous(_read_text(cleanup_file))
            _ruby_call(cleanup_file.unlink, "apply2files")
        commands = generate(archive, appspec, file_exists_behavior)
        payload = {"instructions": [c.to_json() for c in commands]}
    except AppSpecError as exc:
        raise InstallError(exc.message, exc.hint) from None
    _write_instructions(
        layout.install_file(group_id),
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
    )
    applier = _Applier(warn)
    try:
        record = open(cleanup_file, "w", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
    except OSError as exc:
        raise InstallError(errno_message(exc, "rb_sysopen")) from None
    with record:
        for command in commands:
            applier.execute(command, record)
    return commands


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise InstallError(errno_message(exc, "rb_sysopen")) from None


def _ruby_call(call: Callable[[], object], func: str) -> None:
    """Run one system call; an `OSError` becomes the agent's `Errno::*` failure for `func`."""
    try:
        call()
    except OSError as exc:
        raise InstallError(errno_message(exc, func)) from None


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
            _unlink(path)
        elif os.path.isdir(path):
            try:
                os.rmdir(path)
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise InstallError(errno_message(exc, "dir_s_rmdir")) from None
        elif os.path.exists(path):
            _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError as exc:
        raise InstallError(errno_message(exc, "apply2files")) from None


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
                permission.validate_file_acl()
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
    try:
        entries = os.listdir(source)  # directory order, as `Dir.entries`: never sorted
    except OSError as exc:
        raise InstallError(errno_message(exc, "dir_initialize")) from None
    for entry in entries:
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


class _Applier:
    """Executes instructions in order, recording what it creates in the cleanup file."""

    def __init__(self, warn: Warn) -> None:
        self._warn = warn
        self._warned: set[str] = set()

    def execute(self, command: Instruction, record: IO[str]) -> None:
        path = command.path
        if command.kind == "copy":
            record.write(path + "\n")
            record.flush()
            assert command.source is not None
            try:
                if os.path.islink(command.source):
                    os.symlink(os.readlink(command.source), path)
                else:
                    copy_preserving(command.source, path)
            except CopyError as exc:
                raise InstallError(exc.message) from None
            except OSError as exc:
                raise InstallError(errno_message(exc, "syserr_fail2_in")) from None
        elif command.kind == "mkdir":
            _ruby_call(lambda: os.mkdir(path), "dir_s_mkdir")
            record.write(path + "\n")
            record.flush()
        elif command.kind == "chmod":
            assert command.mode is not None
            mode = int(command.mode, 8)
            _ruby_call(lambda: os.chmod(path, mode), "apply2files")
        elif command.kind == "chown":
            try:
                uid = _lookup_uid(command.owner) if command.owner else -1
                gid = _lookup_gid(command.group) if command.group else -1
            except KeyError as exc:
                raise InstallError(str(exc.args[0])) from None
            _ruby_call(lambda: os.chown(path, uid, gid), "apply2files")
        elif command.kind == "setfacl":
            assert command.acl is not None
            self._setfacl(path, command.acl)
        else:
            assert command.context is not None
            self._once(
                "semanage",
                "SELinux context is checked but not applied by a rehearsal (the agent runs "
                "`semanage fcontext -a` and `restorecon`, which change this machine's SELinux "
                f"policy); first object: {path}",
            )

    def _setfacl(self, path: str, acl: AclApplication) -> None:
        """`ChangeAclCommand`: the entries plus the base ones from the object's mode."""
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise InstallError(errno_message(exc, "rb_file_s_stat")) from None
        entries = ",".join(acl.entries_for(mode))
        setfacl = shutil.which("setfacl")
        if setfacl is None:
            self._once(
                "no-setfacl",
                "acls are checked but not applied: this machine has no setfacl (install the acl "
                "package to rehearse them; the agent applies them with `setfacl --set`)",
            )
            return
        with subprocess.Popen(
            [setfacl, "--set", entries, path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ) as child:
            _, stderr = child.communicate()
        if child.returncode == 0:
            return
        if "Operation not supported" in stderr:
            self._once(
                "no-acl-support",
                f"acls are checked but not applied: the filesystem of {path} has no ACL support "
                "(the agent's instance needs it, or setfacl fails there)",
            )
            return
        raise InstallError(
            "The deployment failed because of a problem with the acls permission settings in "
            f"the application specification file for this object: {path}. Failed command: "
            f"setfacl --set {entries} {path}. Exit code: pid {child.pid} exit {child.returncode}",
            f"setfacl said: {stderr.strip()}",
        )

    def _once(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self._warn(text)


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
