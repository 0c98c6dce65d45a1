"""Escaping filters and the workspace writer (manifest, user edits, determinism)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml

from tests.render_terraform_support import hcl_text
from wizard.core.answers import default_answers
from wizard.core.render import (
    MANIFEST,
    RenderedFile,
    hcl,
    json_value,
    read_manifest,
    sh,
    write_workspace,
    yaml_value,
)

HOSTILE = [
    'quote " and \\ backslash',
    "${aws_iam_role.x.arn}",
    "%{ if true }x%{ endif }",
    "$${already} and %%{also}",
    "line\nbreak\r\tand tab",
    "$(touch /tmp/pwned) `id` ; rm -rf / &&",
    "'single' \"double\"",
    "../../etc/passwd",
    "ünïcødé ✓ 日本語",
    "x" * 5000,
    "",
    "trailing backslash \\",
    "\x00nul\x1besc",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hcl_string_parses_back_to_the_same_text(value: str) -> None:
    parsed = hcl2.loads(f"x = {hcl(value)}\n")
    # python-hcl2 keeps the quotes and escapes; read the value the way terraform does
    assert hcl_text(parsed["x"]) == value


@pytest.mark.parametrize("value", [v for v in HOSTILE if "\x00" not in v])
def test_sh_word_is_inert(value: str, tmp_path: Path) -> None:
    script = f"printf '%s' {sh(value)}"
    out = subprocess.run(["bash", "-c", script], capture_output=True, cwd=tmp_path, check=True)
    assert out.stdout.decode() == value
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("value", [v for v in HOSTILE if "\x00" not in v and "\x1b" not in v])
def test_yaml_and_json_values_round_trip(value: str) -> None:
    import json

    assert yaml.safe_load(f"k: {yaml_value(value)}\n")["k"] == value
    assert json.loads(json_value(value)) == value


def test_hcl_collections() -> None:
    assert hcl({"ManagedBy": "code${x}", "n": 1, "b": True, "z": None}) == (
        '{"ManagedBy" = "code$${x}", "n" = 1, "b" = true, "z" = null}'
    )
    assert hcl(["a", 2]) == '["a", 2]'


def _tree(**files: str) -> dict[str, RenderedFile]:
    return {k.replace("__", "/"): RenderedFile(v.encode()) for k, v in files.items()}


def test_workspace_write_rewrite_and_user_edits(tmp_path: Path) -> None:
    first = write_workspace(_tree(a__main="one\n", a__keep="k\n", gone="bye\n"), tmp_path)
    assert first.counts() == {"added": 3}
    assert set(read_manifest(tmp_path)) == {"a/main", "a/keep", "gone"}

    (tmp_path / "a/keep").write_text("edited by the user\n")
    second = write_workspace(_tree(a__main="two\n", a__keep="k2\n"), tmp_path)
    status = {c.path: c.status for c in second.changes}
    assert status == {"a/main": "updated", "a/keep": "conflict", "gone": "removed"}
    assert (tmp_path / "a/keep").read_text() == "edited by the user\n"
    assert (tmp_path / "a/keep.new").read_text() == "k2\n"
    assert not (tmp_path / "gone").exists()
    assert "-one" in next(c.diff for c in second.changes if c.path == "a/main")

    third = write_workspace(_tree(a__main="two\n", a__keep="k2\n"), tmp_path)
    assert {c.path: c.status for c in third.changes}["a/keep"] == "conflict"

    forced = write_workspace(_tree(a__main="two\n", a__keep="k2\n"), tmp_path, force=True)
    assert {c.path: c.status for c in forced.changes}["a/keep"] == "overwritten"
    assert (tmp_path / "a/keep").read_text() == "k2\n"


def test_edited_file_that_is_no_longer_rendered_is_kept(tmp_path: Path) -> None:
    write_workspace(_tree(old="x\n"), tmp_path)
    (tmp_path / "old").write_text("mine\n")
    report = write_workspace(_tree(new="y\n"), tmp_path)
    assert {c.path: c.status for c in report.changes} == {"new": "added", "old": "kept"}
    assert (tmp_path / "old").read_text() == "mine\n"


def test_manifest_is_deterministic(tmp_path: Path) -> None:
    tree = _tree(b="2\n", a="1\n")
    write_workspace(tree, tmp_path / "one")
    write_workspace(tree, tmp_path / "two")
    assert (tmp_path / "one" / MANIFEST).read_bytes() == (tmp_path / "two" / MANIFEST).read_bytes()


def test_render_uses_strict_undefined(tmp_path: Path) -> None:
    import jinja2

    from wizard.core.render import render

    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "x.tf.j2").write_text("{{ a.nope }}\n")
    with pytest.raises(jinja2.UndefinedError):
        render(default_answers(), templates=tmp_path)


def test_s3_state_bucket_may_live_in_another_region() -> None:
    from wizard.core.answers import validate_mapping
    from wizard.core.render import render

    answers = validate_mapping(
        {
            "version": 1,
            "aws": {"region": "eu-west-1"},
            "terraform": {"backend": "s3", "state_bucket": "my-state", "state_region": "us-east-1"},
        }
    )
    backend = render(answers)["terraform/backend.tf"].content.decode()
    assert 'region       = "us-east-1"' in backend
    same = validate_mapping({"version": 1, "terraform": {"backend": "s3", "state_bucket": "st8"}})
    assert 'region       = "eu-west-1"' in render(same)["terraform/backend.tf"].content.decode()
