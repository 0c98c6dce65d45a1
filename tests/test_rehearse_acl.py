"""`acls:` and SELinux `context:` of appspec permissions (issue 16, divergence 2).

Every rejection class of the agent's AclInfo/AceInfo/ContextInfo/RangeInfo with its exact
message; the install-time rules (no default entry on a file, no context without a range); ACLs
applied with setfacl as the agent applies them. With the real agent available the same texts go
through its parser and the same bundle through both, and the results must be identical.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import agent_local
from tests.test_rehearse_support import failed_event, rehearse, write_bundle
from wizard.core.events.base import Notice
from wizard.services.rehearse.acl import AclApplication, parse_acl
from wizard.services.rehearse.appspec import AppSpecError, parse_appspec
from wizard.services.rehearse.selinux import parse_range

ACL = (
    "The deployment failed because of a problem with the acls permission settings in the "
    "application specification file."
)


def invalid(entry: str) -> str:
    return f"{ACL} Invalid acl entry ({entry})."


def base_entry(entry: str) -> str:
    return (
        f"{ACL} Use mode to set the base acl entry ({entry}). Update the permissions section of "
        "the AppSpec file, and then try again."
    )


def bad_char(entry: str, char: str) -> str:
    return (
        f"The deployment failed because the access control list (ACL) named {entry} in the "
        f"application specification file contains an invalid character ({char}). Correct the "
        "ACL in the hooks section of the AppSpec file, and then try again."
    )


def bad_range(text: str) -> str:
    return (
        "The deployment failed because of a problem with the SELinux range specified "
        f"({text}) for the context parameter in the permissions section of the application "
        "specification file. Make corrections in the permissions section of the AppSpec file, "
        "and then try again."
    )


ACL_REJECTIONS = {
    "7": invalid("7"),  # too few parts
    "d:u:bob:7:rwx": invalid("d:u:bob:7:rwx"),  # too many parts
    "x:u:bob:rwx": invalid("x:u:bob:rwx"),  # a fourth part that is not d/default
    "d:d:bob:rwx": invalid("d:d:bob:rwx"),  # default twice
    "default:d:bob:rwx": invalid("default:d:bob:rwx"),
    "d:invalid:bob:7": invalid("d:invalid:bob:7"),  # unknown type
    "q:bob:rwx": invalid("q:bob:rwx"),
    "mask:name:rwx": invalid("mask:name:rwx"),  # a name on a mask
    "d:other:name:rwx": invalid("d:other:name:rwx"),  # a name on other
    "u::7": base_entry("u::7"),  # the base entries come from mode
    "g::7": base_entry("g::7"),
    "o:7": base_entry("o:7"),
    "user:bob:rwxd": bad_char("user:bob:rwxd", "d"),
    "u:bob:8": bad_char("u:bob:8", "8"),
}

CONTEXT_REJECTIONS = {
    "{name: name}": "The deployment failed because the application specification file specifies "
    'an invalid context type ({"name"=>"name"}). Update the permissions section of the AppSpec '
    "file, and then try again.",
    "abc": "The deployment failed because the application specification file specifies an "
    'invalid context type ("abc"). Update the permissions section of the AppSpec file, and then '
    "try again.",
    "{type: t, range: 's3-s2:c0'}": bad_range("s3-s2:c0"),
    "{type: t, range: 's3-'}": "invalid range part s3-",
    "{type: t, range: ':c0'}": "invalid range part :c0",
    "{type: t, range: 's0:'}": "invalid range part s0:",
    "{type: t, range: 's0:c2.'}": "invalid range part c2.",
    "{type: t, range: 's'}": "invalid sensitivity s",
    "{type: t, range: 's0-s-1'}": "invalid sensitivity s-1",
    "{type: t, range: 'sd3'}": "invalid sensitivity sd3",
    "{type: t, range: 'd3'}": "invalid sensitivity d3",
    "{type: t, range: 's0:c'}": "invalid category c",
    "{type: t, range: 's0:c-1'}": "invalid category c-1",
    "{type: t, range: 's0:c1024'}": "invalid category c1024",
    "{type: t, range: 's0:cd3'}": "invalid category cd3",
    "{type: t, range: 's0:d3'}": "invalid category d3",
    "{type: t, range: 's0:c0,,c1'}": "invalid category ",
    "{type: t, range: 's0:c1.c2.c3'}": "invalid category c2.c3",
    "{type: t, range: 's0:c2.c1'}": "invalid category range c2.c1",
    "{type: t, range: 's0:c0,c0.c2'}": "duplicate categories",
}

ACCEPTED = {
    "acls: ['u:henry:7', 'd:g:manager:rw', 'user:web:r-x', 'u:m:rwx', 'm::5']": None,
    "context: {name: user_u, type: unconfined_t, range: 's3-s5:c0.c7,c13'}": None,
    "context: {type: t, range: 's0:c0,c1,'}": None,  # Ruby's split drops the trailing field
    "context: 'mytype'": None,  # Ruby's String#[] finds "type" in it
    "acls: []": None,
}


def with_permission(extra: str) -> str:
    return f"version: 0.0\nos: linux\npermissions:\n  - object: /srv/app\n    {extra}\n"


def acl_spec(entry: str) -> str:
    return with_permission(f"acls: ['{entry}']")


def context_spec(value: str) -> str:
    return with_permission(f"context: {value}")


def rejection_cases() -> list[tuple[str, str]]:
    return [(acl_spec(e), m) for e, m in ACL_REJECTIONS.items()] + [
        (context_spec(v), m) for v, m in CONTEXT_REJECTIONS.items()
    ]


@pytest.mark.parametrize(("text", "message"), rejection_cases())
def test_every_rejection_has_the_agents_message(text: str, message: str) -> None:
    with pytest.raises(AppSpecError) as caught:
        parse_appspec(text)
    assert caught.value.message == message
    assert caught.value.hint  # and a fix in our words


@pytest.mark.parametrize("extra", list(ACCEPTED))
def test_valid_acls_and_contexts_are_accepted(extra: str) -> None:
    parse_appspec(with_permission(extra))


@pytest.mark.parametrize(
    "extra", ["acls: 'u:bob:rw'", "acls: [7]", "acls: [{u: bob}]", "context: [t]", "context: 5"]
)
def test_shapes_the_agent_crashes_on_are_refused_clearly(extra: str) -> None:
    """The agent fails these with a Ruby NoMethodError/TypeError; we say what is wrong."""
    with pytest.raises(AppSpecError, match=r"^(acls|context) must be"):
        parse_appspec(with_permission(extra))


def test_entries_are_written_back_in_the_agents_long_form() -> None:
    acl = parse_acl(["u:henry:7", "d:g:manager:rw", "u:m:rwx", "m::5"])
    assert acl.texts() == [
        "user:henry:rwx",
        "default:group:manager:rw-",
        "user:mask:rwx",  # `m` after a type is a name, as in the agent
        "mask::r-x",
    ]
    assert parse_range("s3-s5:c0.c7,c13").text() == "s3-s5:c0.c7,c13"
    assert parse_range("s0:c3,c1.c2,c9").text() == "s0:c1.c3,c9"
    assert parse_range("s2-s2").text() == "s2"


def test_base_entries_added_for_setfacl_carry_over_from_object_to_object() -> None:
    """The agent's AclInfo keeps its added entries (its reset is a no-op): a second object gets
    the first one's base entries and mask first, then its own; setfacl lets the last win."""
    application = AclApplication(parse_acl(["u:nobody:rw", "d:u:nobody:r"]))
    assert application.entries_for(0o40750) == [
        "user:nobody:rw-",
        "default:user:nobody:r--",
        "user::rwx",
        "group::r-x",
        "other::---",
        "mask::r-x",
        "default:user::rwx",
        "default:group::r-x",
        "default:other::---",
        "default:mask::r-x",
    ]
    second = application.entries_for(0o100644)
    assert second[2:10] == application.entries_for(0o40750)[2:10]
    assert second[10:13] == ["user::rw-", "group::r--", "other::r--"]


def test_the_agents_own_parser_gives_the_same_messages() -> None:
    if reason := agent_local.skip_reason():
        pytest.skip(reason)
    cases = rejection_cases()
    accepted = [with_permission(extra) for extra in ACCEPTED]
    results = agent_local.check_appspecs([text for text, _ in cases] + accepted)
    for (text, message), got in zip(cases, results[: len(cases)], strict=True):
        assert got == {"error": "AppSpecValidationException", "message": message}, text
    assert results[len(cases) :] == [{"valid": True}] * len(accepted)


# --- Install: applying ------------------------------------------------------------------------


def acl_bundle(base: Path, dest: Path, permissions: str) -> Path:
    appspec = (
        f"version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: {dest}\n"
        f"permissions:\n{permissions}"
    )
    files = {"app/x.txt": ("x", 0o644), "app/run.sh": ("r", 0o755), "app/sub/y.txt": ("y", 0o640)}
    return write_bundle(base, appspec, files)


PERMISSIONS = """\
  - object: {dest}
    acls: ['u:nobody:rw', 'd:u:nobody:r']
    type: [directory]
  - object: {dest}
    pattern: '*'
    acls: ['u:nobody:rw', 'g:nogroup:4']
    type: [file]
"""


def getfacl(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        done = subprocess.run(
            ["getfacl", "--omit-header", "--absolute-names", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        out[str(path.relative_to(root))] = done.stdout
    return out


def needs_setfacl() -> None:
    if shutil.which("setfacl") is None or shutil.which("getfacl") is None:
        pytest.skip("setfacl/getfacl are not installed (Debian: apt-get install acl)")


def test_acls_are_applied_as_the_agent_applies_them(tmp_path: Path) -> None:
    needs_setfacl()
    dest = tmp_path / "dest"
    bundle = acl_bundle(tmp_path / "b", dest, PERMISSIONS.format(dest=dest))
    result, events, _ = rehearse(bundle, tmp_path / "root")
    assert result.succeeded, [e for e in events if isinstance(e, Notice)]
    acls = getfacl(dest)
    assert "user:nobody:rw-\t#effective:r--" in acls["x.txt"]  # the mask from the file's group
    assert "group:nogroup:r--" in acls["x.txt"]
    assert "default:user:nobody:r--" in acls["sub"]
    assert "nobody" not in acls["sub/y.txt"]  # `*` does not reach into sub/
    install = json.loads(
        (tmp_path / "root/deployment-instructions/default-local-deployment-group-install.json")
        .read_text()
        .strip()
    )
    setfacl = [i for i in install["instructions"] if i["type"] == "setfacl"]
    assert setfacl[0] == {
        "type": "setfacl",
        "acl": ["user:nobody:rw-", "default:user:nobody:r--"],
        "file": str(dest / "sub"),
    }


def test_acls_match_the_real_agent(tmp_path: Path) -> None:
    if reason := agent_local.skip_reason():
        pytest.skip(reason)
    needs_setfacl()
    agent = agent_local.LocalAgent(tmp_path / "agent")
    adest, rdest = tmp_path / "adest", tmp_path / "rdest"
    run = agent.deploy(acl_bundle(tmp_path / "ab", adest, PERMISSIONS.format(dest=adest)))
    assert run.outcome == "succeeded", run
    result, _, _ = rehearse(
        acl_bundle(tmp_path / "rb", rdest, PERMISSIONS.format(dest=rdest)), tmp_path / "root"
    )
    assert result.succeeded
    assert getfacl(rdest) == getfacl(adest)


def test_a_default_entry_on_a_file_fails_install(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    permissions = f"  - object: {dest}\n    acls: ['d:u:nobody:r']\n"  # files and folders
    result, events, _ = rehearse(acl_bundle(tmp_path / "b", dest, permissions), tmp_path / "root")
    assert result.failed_event == "Install"
    diagnostics = failed_event(events).diagnostics
    assert diagnostics is not None
    assert diagnostics.message == (
        "The deployment failed because the -d parameter has been specified to apply an acl "
        "setting to a file. This parameter is supported for directories only. Update the AppSpec "
        "file, and then try again."
    )


def test_a_context_without_a_range_fails_install_like_the_agent(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    permissions = f"  - object: {dest}\n    type: [file]\n    context: {{type: httpd_t}}\n"
    result, events, _ = rehearse(acl_bundle(tmp_path / "b", dest, permissions), tmp_path / "root")
    assert result.failed_event == "Install"
    assert result.diagnostics is not None
    assert result.diagnostics.message == "undefined method `get_range' for nil:NilClass"
    assert any("range: s0" in e.text for e in events if isinstance(e, Notice))


def test_a_context_is_written_down_but_never_applied(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    permissions = (
        f"  - object: {dest}\n    type: [file]\n"
        "    context: {name: user_u, type: httpd_t, range: 's0:c3,c1.c2'}\n"
    )
    result, events, rehearsal = rehearse(
        acl_bundle(tmp_path / "b", dest, permissions), tmp_path / "root"
    )
    assert result.succeeded
    install = json.loads(rehearsal.layout.install_file(rehearsal.group_id).read_text())
    contexts = [i for i in install["instructions"] if i["type"] == "semanage"]
    assert contexts[0]["context"] == {
        "user": "user_u",
        "role": None,
        "type": "httpd_t",
        "range": "s0:c1.c3",
    }
    warnings = [e.text for e in events if isinstance(e, Notice) and e.level == "warn"]
    assert len([w for w in warnings if "SELinux context is checked but not applied" in w]) == 1


def test_context_failures_match_the_real_agent(tmp_path: Path) -> None:
    if reason := agent_local.skip_reason():
        pytest.skip(reason)
    dest = tmp_path / "dest"
    agent = agent_local.LocalAgent(tmp_path / "agent")
    for name, permissions in {
        "no-range": f"  - object: {dest}\n    type: [file]\n    context: {{type: httpd_t}}\n",
        "default-on-file": f"  - object: {dest}\n    acls: ['d:u:nobody:r']\n",
    }.items():
        run = agent.deploy(acl_bundle(tmp_path / f"a-{name}", dest, permissions), group_id=name)
        result, _, _ = rehearse(
            acl_bundle(tmp_path / f"r-{name}", dest, permissions), tmp_path / "root", group_id=name
        )
        assert result.diagnostics is not None
        assert result.diagnostics.message == run.message, name
