"""appspec.yml parsing and validation with the CodeDeploy agent's rules and messages.

Mirrors `application_specification/*.rb` of `aws/aws-codedeploy-agent`: the same checks in the
same order (version, os, hooks, files, permissions with their `acls` and SELinux `context`,
file_exists_behavior) and the same message text, so a rehearsal fails where and how the agent
would (`acl` and `selinux` hold the rules of those two). Where the agent would crash with a Ruby
`NoMethodError` (a hook that is not a list, a script written as a bare string) we raise a clear
message instead. Each error may carry a `hint`: the fix in our words, shown next to the agent's.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wizard.services.rehearse.acl import DEFAULT_ON_FILE, Acl, parse_acl
from wizard.services.rehearse.errors import AppSpecError
from wizard.services.rehearse.rubyisms import expand_path, ruby_inspect, ruby_str, ruby_to_i
from wizard.services.rehearse.selinux import SelinuxContext, parse_context

DEFAULT_TIMEOUT = 3600
FILE_EXISTS_BEHAVIORS = ("DISALLOW", "OVERWRITE", "RETAIN")
PERMISSION_TYPES = ("file", "directory")


class SourceInt(int):
    """An int that remembers how YAML spelled it (so `mode: 0750` can be explained)."""

    source: str

    def __new__(cls, value: int, source: str) -> SourceInt:
        obj = super().__new__(cls, value)
        obj.source = source
        return obj


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """YAML 1.1 like the agent's Psych: `0750` is octal, `0.0` a float, `"0.0"` a string."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> SourceInt:
    return SourceInt(yaml.SafeLoader.construct_yaml_int(loader, node), str(node.value))


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


@dataclass(frozen=True)
class HookScript:
    """One `- location: … timeout: … runas: …` entry of a hook."""

    location: str
    timeout: int = DEFAULT_TIMEOUT
    runas: str | None = None
    sudo: bool = False


@dataclass(frozen=True)
class FileMapping:
    source: str
    destination: str


@dataclass(frozen=True)
class Permission:
    """One `permissions` entry (`linux_permission_info.rb`)."""

    object: str
    pattern: str = "**"
    excepts: tuple[str, ...] = ()
    types: tuple[str, ...] = PERMISSION_TYPES
    owner: str | None = None
    group: str | None = None
    mode: str | None = None
    acls: Acl | None = None
    context: SelinuxContext | None = None

    def validate_file_permission(self) -> None:
        """A file object takes neither a pattern nor an except list (agent: at Install)."""
        if "file" in self.types:
            if self.pattern != "**":
                raise AppSpecError(
                    "The deployment failed because the application specification file includes "
                    f"an object ({self.object}) with an invalid pattern ({self.pattern}), such as "
                    "a pattern for a file applied to a directory. Correct the permissions section "
                    "of the AppSpec file, and then try again."
                )
            if self.excepts:
                raise AppSpecError(
                    "The deployment failed because the except parameter for a pattern in the "
                    f"permissions section ({ruby_inspect(list(self.excepts))}) for the object "
                    f"named {self.object} contains an invalid format. Update the AppSpec file, "
                    "and then try again."
                )

    def validate_file_acl(self) -> None:
        """A default ACL entry cannot go on a file (agent: at Install, for every file matched)."""
        if self.acls is not None and self.acls.has_default:
            raise AppSpecError(
                DEFAULT_ON_FILE,
                f"the permissions of {self.object} give default (d:) acl entries to files: add "
                "`type: [directory]` to that entry, or move the default entries to one that has it",
            )

    def _relative(self, name: str) -> str | None:
        name = name.rstrip("/") if name != "/" else name
        base = expand_path(self.object)
        if not base.endswith("/"):
            base += "/"
        return name[len(base) :] if name.startswith(base) else None

    def matches_pattern(self, name: str) -> bool:
        """`name` lies under the object and matches the pattern (one path level, `*` only)."""
        rel = self._relative(name)
        if rel is None:
            return False
        return self.pattern == "**" or _simple_glob(rel, self.pattern)

    def matches_except(self, name: str) -> bool:
        rel = self._relative(name)
        return rel is not None and any(_simple_glob(rel, item) for item in self.excepts)


def _simple_glob(name: str, pattern: str) -> bool:
    """The agent's glob: `*` matches any run of characters, nothing matches across `/`."""
    if "/" in name:
        return False
    parts = pattern.split("*")
    if len(parts) == 1:
        return name == pattern
    if not name.startswith(parts[0]) or not name.endswith(parts[-1]):
        return False
    if len(name) < len(parts[0]) + len(parts[-1]):
        return False
    pos = len(parts[0])
    end = len(name) - len(parts[-1])
    for middle in parts[1:-1]:
        found = name.find(middle, pos, end)
        if found < 0:
            return False
        pos = found + len(middle)
    return True


@dataclass(frozen=True)
class AppSpec:
    """A validated appspec. `hooks` keeps the file's order; `warnings` are ours, not errors."""

    version: float
    os: str
    hooks: Mapping[str, tuple[HookScript, ...]] = field(default_factory=dict)
    files: tuple[FileMapping, ...] = ()
    permissions: tuple[Permission, ...] = ()
    file_exists_behavior: str | None = None
    warnings: tuple[str, ...] = ()

    def scripts_for(self, event: str) -> tuple[HookScript, ...]:
        return self.hooks.get(event, ())


# --- parsing ----------------------------------------------------------------------------------


_CACHE: dict[str, AppSpec] = {}


def load_appspec(path: Path) -> AppSpec:
    """Read and validate an appspec file (`OSError` if unreadable; `AppSpecError`).

    The agent re-reads and re-parses the appspec for every event. We read it every time too, but
    validate a given text once per process: the result depends on the text alone, and every
    deployment of the same bundle copies the same appspec into a new file (keying on the file's
    inode re-parsed the YAML, ~0.4 ms, on every deployment).
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    cached = _CACHE.get(text)
    if cached is None:
        cached = parse_appspec(text)
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[text] = cached
    return cached


def parse_appspec(text: str) -> AppSpec:
    """Validate like `ApplicationSpecification.parse`; raise `AppSpecError` with its message."""
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = " ".join(p for p in (exc.problem, exc.context) if p)
        raise AppSpecError(
            f"(<unknown>): {problem}{where}", "appspec.yml is not valid YAML: fix the syntax"
        ) from None
    except yaml.YAMLError as exc:
        raise AppSpecError(f"(<unknown>): {exc}", "appspec.yml is not valid YAML") from None
    if data is None or data is False:
        raise AppSpecError(
            "The deployment failed because the application specification file was empty. Make "
            "sure your AppSpec file defines at minimum the 'version' and 'os' properties.",
            "start from:  version: 0.0  /  os: linux",
        )
    if not isinstance(data, dict):
        raise AppSpecError(
            "The application specification file must be a YAML mapping with 'version' and 'os' "
            f"keys, not {type(data).__name__} {ruby_inspect(data)}",
            "start from:  version: 0.0  /  os: linux",
        )
    warnings: list[str] = []
    version = _parse_version(data.get("version"))
    os_name = _parse_os(data.get("os"))
    hooks = _parse_hooks(data.get("hooks") or {})
    files = _parse_files(data.get("files") or [])
    permissions = _parse_permissions(data.get("permissions") or [], warnings)
    behavior = _parse_file_exists_behavior(data.get("file_exists_behavior"))
    return AppSpec(
        version=version,
        os=os_name,
        hooks=hooks,
        files=files,
        permissions=permissions,
        file_exists_behavior=behavior,
        warnings=tuple(warnings),
    )


def _parse_version(version: Any) -> float:
    ok = isinstance(version, (int, float)) and not isinstance(version, bool) and version == 0.0
    if not ok:
        hint = "write `version: 0.0` (a number)"
        if isinstance(version, str):
            hint = (
                f"version is the string {ruby_inspect(version)} (quoted); the agent compares it "
                "with the number 0.0, so write `version: 0.0` without quotes"
            )
        raise AppSpecError(
            "The deployment failed because an invalid version value "
            f"({ruby_str(version)}) was entered in the application specification file. Make "
            'sure your AppSpec file specifies "0.0" as the version, and then try again.',
            hint,
        )
    return float(version)


def _parse_os(os_name: Any) -> str:
    if os_name != "linux" or not isinstance(os_name, str):
        raise AppSpecError(
            "The deployment failed because the application specification file specifies an "
            f'unsupported operating system ({ruby_str(os_name)}). Specify either "linux" or '
            '"windows" in the os section of the AppSpec file, and then try again.',
            "write `os: linux` (every Linux distribution, Ubuntu included, is `linux`; this "
            "rehearsal runs Linux hooks only)",
        )
    return os_name


_NO_LOCATION = (
    "The deployment failed because the application specification file specifies a script with "
    "no location value. Specify the location in the hooks section of the AppSpec file, and then "
    "try again."
)


def _parse_hooks(hooks: Any) -> dict[str, tuple[HookScript, ...]]:
    if not isinstance(hooks, dict):
        raise AppSpecError(
            "The application specification file's hooks section must map lifecycle event names "
            f"to lists of scripts, not {ruby_inspect(hooks)}",
            "write `hooks:` then `  ApplicationStart:` then `    - location: scripts/start.sh`",
        )
    parsed: dict[str, tuple[HookScript, ...]] = {}
    for raw_name, scripts in hooks.items():
        name = ruby_str(raw_name)
        if scripts is None or scripts is False:
            continue  # the agent ignores empty hooks
        if not isinstance(scripts, list):
            raise AppSpecError(
                f"The application specification file's hook {name} must be a list of scripts, "
                f"not {ruby_inspect(scripts)}",
                f"write `{name}:` then `  - location: scripts/….sh` (note the dash)",
            )
        parsed[name] = tuple(_parse_script(name, script) for script in scripts)
    return parsed


def _parse_script(hook: str, script: Any) -> HookScript:
    if not isinstance(script, dict):
        raise AppSpecError(
            f"Each script of the hook {hook} in the application specification file must be a "
            f"mapping with a location, not {ruby_inspect(script)}",
            f"write `- location: {ruby_str(script)}` under {hook}",
        )
    location = (
        ruby_str(script.get("location")).strip() if script.get("location") is not None else ""
    )
    if not location:
        raise AppSpecError(
            _NO_LOCATION,
            f"give each script of {hook} a `location:` relative to the bundle root, "
            "e.g. `- location: scripts/start_server.sh`",
        )
    raw_runas = script.get("runas")
    runas = ruby_str(raw_runas).strip() if raw_runas is not None else None
    raw_timeout = script.get("timeout")
    if raw_timeout is None or raw_timeout is False:
        raw_timeout = DEFAULT_TIMEOUT
    try:
        timeout = ruby_to_i(raw_timeout)
    except TypeError:
        timeout = 0
    if timeout <= 0:
        raise AppSpecError(
            "The deployment failed because an invalid timeout value was provided for a script in "
            "the application specification file. Make corrections in the hooks section of the "
            "AppSpec file, and then try again.",
            f"timeout of {location} ({ruby_str(raw_timeout)}) must be a whole number of seconds "
            "of at least 1 (the default is 3600)",
        )
    return HookScript(
        location=location, timeout=timeout, runas=runas, sudo=bool(script.get("sudo"))
    )


def _parse_files(files: Any) -> tuple[FileMapping, ...]:
    if not isinstance(files, list):
        raise AppSpecError(
            "The application specification file's files section must be a list of "
            f"source/destination pairs, not {ruby_inspect(files)}",
            "write `files:` then `  - source: /` and `    destination: /srv/app`",
        )
    parsed = []
    for mapping in files:
        if not isinstance(mapping, dict):
            raise AppSpecError(
                "Each entry of the files section must be a mapping with source and destination, "
                f"not {ruby_inspect(mapping)}",
                "write `- source: /` and `  destination: /srv/app`",
            )
        source, destination = mapping.get("source"), mapping.get("destination")
        if source is None:
            raise AppSpecError(
                "The deployment failed because the application specification file specifies a "
                "destination file, but no source file. Update the files section of the AppSpec "
                "file, and then try again.",
                f"add `source:` (relative to the bundle root, `/` for all of it) next to "
                f"destination {ruby_str(destination)}",
            )
        if destination is None:
            raise AppSpecError(
                "The deployment failed because the application specification file specifies "
                f"only a source file ({ruby_str(source)}). Add the name of the destination file "
                "to the files section of the AppSpec file, and then try again.",
                f"add `destination:` (an absolute folder) next to source {ruby_str(source)}",
            )
        parsed.append(FileMapping(ruby_str(source), ruby_str(destination)))
    return tuple(parsed)


_NO_OBJECT = (
    "The deployment failed because a permission listed in the application specification file has "
    "no object value. Update the permissions section of the AppSpec file, and then try again."
)


def _parse_permissions(permissions: Any, warnings: list[str]) -> tuple[Permission, ...]:
    if not isinstance(permissions, list):
        raise AppSpecError(
            "The application specification file's permissions section must be a list, not "
            f"{ruby_inspect(permissions)}",
            "write `permissions:` then `  - object: /srv/app` and `    mode: 750`",
        )
    parsed = []
    for entry in permissions:
        if not isinstance(entry, dict) or entry.get("object") is None:
            raise AppSpecError(_NO_OBJECT, "give each permissions entry an `object:` path")
        obj = ruby_str(entry["object"]).strip()
        if not obj:
            raise AppSpecError(_NO_OBJECT, "give each permissions entry an `object:` path")
        pattern = entry.get("pattern")
        parsed.append(
            Permission(
                object=obj,
                pattern="**" if pattern is None or pattern == "**" else ruby_str(pattern),
                excepts=_string_list(entry.get("except"), "except"),
                types=_parse_types(entry.get("type")),
                owner=None if entry.get("owner") is None else ruby_str(entry["owner"]),
                group=None if entry.get("group") is None else ruby_str(entry["group"]),
                mode=_parse_mode(entry.get("mode"), obj, warnings),
                acls=None if entry.get("acls") is None else parse_acl(entry["acls"]),
                context=None if entry.get("context") is None else parse_context(entry["context"]),
            )
        )
    return tuple(parsed)


def _string_list(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise AppSpecError(
            f"The permissions {key} value must be a list, not {ruby_inspect(value)}",
            f"write `{key}: [{ruby_str(value)}]`",
        )
    return tuple(ruby_str(v) for v in value)


def _parse_types(value: Any) -> tuple[str, ...]:
    if value is None:
        return PERMISSION_TYPES
    if not isinstance(value, list):
        raise AppSpecError(
            f"The permissions type value must be a list, not {ruby_inspect(value)}",
            f"write `type: [{ruby_str(value)}]`",
        )
    for item in value:
        if item not in PERMISSION_TYPES:
            raise AppSpecError(
                "The deployment failed because the application specification filespecifies a "
                f"permission for an object type not supported for permissions ({ruby_str(item)}). "
                "Update the permissions section of the AppSpec file, and then try again.",
                "type takes `file` and/or `directory`",
            )
    return tuple(value)


def _parse_mode(value: Any, obj: str, warnings: list[str]) -> str | None:
    """`mode_info.rb`: 1–4 octal digits, left-padded to 3. Explains YAML's octal reading."""
    if value is None:
        return None
    mode = ruby_str(value)
    octal_spelling = (
        isinstance(value, SourceInt)
        and value.source.startswith("0")
        and len(value.source) > 1
        and value.source.isdigit()
    )
    trap_hint = (
        f"YAML reads `mode: {value.source}` as an octal number, which is {int(value)} in "
        f"decimal; write `mode: {value.source.lstrip('0') or '0'}` (no leading zero) or quote it"
        if octal_spelling
        else None
    )
    mode = mode.rjust(3, "0")
    if len(mode) > 4:
        raise AppSpecError(
            "The deployment failed because the length of a permissions mode "
            f"({mode}) in the application specification file is invalid. Permissions modes must "
            "be between one and four characters long. Update the permissions section of the "
            "AppSpec file, and then try again.",
            trap_hint or "write the mode as 1–4 octal digits, e.g. `mode: 750`",
        )
    for char in mode:
        if not "0" <= char <= "7":
            raise AppSpecError(
                f"The deployment failed because the permissions mode ({mode}) in the application "
                f"specification file contains an invalid character ({char}). Update the "
                "permissions section of the AppSpec file, and then try again.",
                trap_hint or "write the mode as octal digits 0-7, e.g. `mode: 750`",
            )
    if trap_hint:
        warnings.append(
            f"permissions of {obj}: {trap_hint}; the agent will apply mode {mode}, "
            f"not {value.source}"
        )
    return mode


def _parse_file_exists_behavior(value: Any) -> str | None:
    if value is None or value in FILE_EXISTS_BEHAVIORS:
        return value
    hint = "use DISALLOW, OVERWRITE or RETAIN (upper case)"
    if isinstance(value, str) and value.strip().upper() in FILE_EXISTS_BEHAVIORS:
        hint = f"the value is case-sensitive: write {value.strip().upper()}"
    raise AppSpecError(
        "The deployment failed because an invalid file_exists_behavior value "
        f"({ruby_str(value)}) was entered in the application specification file. Make sure "
        f"your AppSpec file specifies one of {','.join(FILE_EXISTS_BEHAVIORS)} as the "
        "file_exists_behavior, and then try again.",
        hint,
    )


def closest_event(name: str, known: tuple[str, ...] | list[str]) -> str | None:
    """The known lifecycle event a misspelt hook name most likely meant."""
    for candidate in known:
        if candidate.lower() == name.lower():
            return candidate
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return matches[0] if matches else None
