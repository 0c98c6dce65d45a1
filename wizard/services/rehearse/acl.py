"""A permission's `acls:`, read and applied with the CodeDeploy agent's rules and messages.

An entry is `[d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]]:[name]:perms`, `perms` being letters
from `rwx-` or a single octal digit. The agent refuses, each with its own message: fewer than two
or more than four `:`-separated parts; a fourth part other than `d`/`default`; `d` twice; an
unknown type; a name on a mask or other entry; an unnamed, non-default user/group/other entry
(the base entries come from `mode`); and a character outside `rwx-`. It also refuses, at Install,
a default entry on a file.

Applying it (`setfacl --set`) the agent adds the base entries from the object's mode (`user::`,
`group::`, `other::`), a mask when there are named entries, and, when there are default entries,
the missing default base entries and mask. Those added entries stay on the permission from one
object to the next (the agent's reset does not reset), so a later object's list still starts with
the earlier objects' additions; setfacl lets the last of duplicate entries win. `AclApplication`
keeps that behaviour, so the resulting ACLs are the agent's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from wizard.services.rehearse.errors import AppSpecError
from wizard.services.rehearse.rubyisms import ruby_inspect

_PROBLEM = (
    "The deployment failed because of a problem with the acls permission settings in the "
    "application specification file."
)
_SHAPE = "an acls entry reads [d:]u|g|m|o:NAME:rwx, e.g. `u:snake:rw` or `d:g:web:r-x`"
DEFAULT_ON_FILE = (
    "The deployment failed because the -d parameter has been specified to apply an acl setting "
    "to a file. This parameter is supported for directories only. Update the AppSpec file, and "
    "then try again."
)
_DEFAULT = ("d", "default")
_TYPES = {
    "u": "user",
    "user": "user",
    "g": "group",
    "group": "group",
    "m": "mask",
    "mask": "mask",
    "o": "other",
    "other": "other",
}


@dataclass(frozen=True)
class Ace:
    """One ACL entry."""

    default: bool
    type: str  # user | group | mask | other
    name: str
    read: bool
    write: bool
    execute: bool

    def text(self) -> str:
        """`[default:]type:name:rwx`, the form the agent writes and hands to setfacl."""
        bits = (self.read, self.write, self.execute)
        perms = "".join(letter if on else "-" for letter, on in zip("rwx", bits, strict=True))
        return ("default:" if self.default else "") + f"{self.type}:{self.name}:{perms}"


def parse_ace(entry: str, *, base: bool = False) -> Ace:
    """Read one entry; `base` allows the unnamed entries the agent adds itself."""
    parts = entry.split(":")[::-1]  # perms, name-or-type, type-or-default, default

    def invalid() -> AppSpecError:
        return AppSpecError(f"{_PROBLEM} Invalid acl entry ({entry}).", _SHAPE)

    if not 2 <= len(parts) <= 4:
        raise invalid()
    default = False
    kind: str | None = None
    name = ""
    if len(parts) == 4:
        if parts[3] not in _DEFAULT:
            raise invalid()
        default = True
    if len(parts) >= 3:
        if parts[2] in _DEFAULT:
            if default:
                raise invalid()
            default = True
        elif parts[2] in _TYPES:
            kind = _TYPES[parts[2]]
        else:
            raise invalid()
    word = _TYPES.get(parts[1])
    if word in ("mask", "other"):
        if kind is None:
            kind = word
        else:
            name = word
    else:
        kind = kind or "user"
        name = parts[1]
    if kind in ("mask", "other") and name:
        raise invalid()
    if not base and not default and kind != "mask" and not name:
        raise AppSpecError(
            f"{_PROBLEM} Use mode to set the base acl entry ({entry}). Update the permissions "
            "section of the AppSpec file, and then try again.",
            "the owner, group and other entries come from `mode:`; acls name a user or group "
            "(`u:snake:rw`) or set a default (`d:u::rwx`)",
        )
    return Ace(default, kind, name, *_perms(entry, parts[0]))


def _perms(entry: str, text: str) -> tuple[bool, bool, bool]:
    if len(text) == 1 and "0" <= text <= "7":
        bits = int(text)
        return bool(bits & 4), bool(bits & 2), bool(bits & 1)
    for char in text:
        if char not in "rwx-":
            raise AppSpecError(
                f"The deployment failed because the access control list (ACL) named {entry} in "
                f"the application specification file contains an invalid character ({char}). "
                "Correct the ACL in the hooks section of the AppSpec file, and then try again.",
                "permissions are letters r, w, x and - (or one octal digit), e.g. `u:snake:r-x`",
            )
    return "r" in text, "w" in text, "x" in text


@dataclass(frozen=True)
class Acl:
    """The entries of one permission's `acls:`."""

    aces: tuple[Ace, ...]

    @property
    def has_default(self) -> bool:
        return any(ace.default for ace in self.aces)

    def texts(self) -> list[str]:
        """The list the agent writes into `<group>-install.json`."""
        return [ace.text() for ace in self.aces]


def parse_acl(value: object) -> Acl:
    """A permission's `acls:` value: a list of entry strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AppSpecError(
            f"acls must be a list of entries such as u:snake:rw, not {ruby_inspect(value)} (the "
            "agent fails on it with a Ruby NoMethodError)",
            _SHAPE + "; quote each entry",
        )
    return Acl(tuple(parse_ace(entry) for entry in value))


@dataclass
class AclApplication:
    """One permission's ACL as Install applies it to each matching object in turn."""

    acl: Acl
    added: list[Ace] = field(default_factory=list)

    def entries_for(self, mode: int) -> list[str]:
        """`setfacl --set` entries for an object whose permission bits are `mode`."""
        owner, group, other = (str((mode >> shift) & 7) for shift in (6, 3, 0))
        self.added += [
            parse_ace(f":{owner}", base=True),
            parse_ace(f"g::{group}", base=True),
            parse_ace(f"o::{other}", base=True),
        ]
        every = [*self.acl.aces, *self.added]
        if _any(every, default=False, named=True) and not _any(every, default=False, kind="mask"):
            self.added.append(parse_ace(f"m::{group}", base=True))
        if any(ace.default for ace in every):
            if not _any(every, default=True, kind="user", named=False):
                self.added.append(parse_ace(f"d::{owner}", base=True))
            if not _any(every, default=True, kind="group", named=False):
                self.added.append(parse_ace(f"d:g::{group}", base=True))
            if not _any(every, default=True, kind="other"):
                self.added.append(parse_ace(f"d:o:{other}", base=True))
            every = [*self.acl.aces, *self.added]
            if _any(every, default=True, named=True) and not _any(every, default=True, kind="mask"):
                group_ace = next(a for a in every if a.default and a.type == "group" and not a.name)
                self.added.append(
                    Ace(True, "mask", "", group_ace.read, group_ace.write, group_ace.execute)
                )
        return [ace.text() for ace in (*self.acl.aces, *self.added)]


def _any(
    aces: Sequence[Ace], *, default: bool, kind: str | None = None, named: bool | None = None
) -> bool:
    return any(
        ace.default == default
        and (kind is None or ace.type == kind)
        and (named is None or bool(ace.name) == named)
        for ace in aces
    )
