"""The deployment group's EC2 tag takes what EC2 and CodeDeploy take (any text, 1–256 characters
for a value, 1–128 for a key, no 'aws:' key), and the renderer keeps every such value inert:
`cdwizard answers check` accepts a real fleet's tags, the HCL filter parses back to the very
string, terraform validates and reads back exactly what was typed, and the hooks still pass
`bash -n` and shellcheck. Nothing runs on the way."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import jsonschema
import pytest
import yaml

from tests.render_terraform_support import (
    console_value,
    hcl_text,
    init_for_console,
    validate,
    write_tree,
)
from wizard.core.answers import AnswersError, validate_mapping
from wizard.core.answers.schema import json_schema
from wizard.core.render import render
from wizard.core.render.filters import hcl, json_value, sh, yaml_value

FLEET_TAGS = ["batch runner (prod)", "Produktion-Süd"]

#: Accepted target tag values that would be code in the wrong place. `{marker}` is a file that
#: must never appear: something ran if it does.
HOSTILE = [
    "say \"hi\" and 'bye'",
    "${aws_iam_role.x.arn}",
    "%{ if true }x%{ endif }",
    "$${literal}",
    "$(touch {marker})",
    "`touch {marker}`",
    "a; touch {marker} #",
    "back\\slash \\n not a newline",
    "[markup] (parens) {braces} <angle> *wild? ünïcødé 日本語",
]


def _values(marker: Path) -> list[str]:
    return [*FLEET_TAGS, *(v.replace("{marker}", str(marker)) for v in HOSTILE)]


def _answers(tag_key: str, tag_value: str, **extra: Any) -> dict[str, Any]:
    return {"version": 1, "targets": {"tag_key": tag_key, "tag_value": tag_value, **extra}}


def cdwizard(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", *argv], capture_output=True, text=True, check=False
    )


# --- accepted -----------------------------------------------------------------------------------


def test_answers_check_accepts_a_fleet_tagged_like_a_real_one(tmp_path: Path) -> None:
    for value in FLEET_TAGS:
        path = tmp_path / "answers.yml"
        path.write_text(yaml.safe_dump(_answers("Env", value), allow_unicode=True), "utf-8")
        checked = cdwizard("answers", "check", str(path))
        assert checked.returncode == 0, checked.stderr
        loaded = validate_mapping(yaml.safe_load(path.read_text("utf-8")))
        assert loaded.targets.tag_value == value


def test_every_hostile_but_valid_value_is_accepted_and_fits_the_schema(tmp_path: Path) -> None:
    schema = json_schema()
    for value in _values(tmp_path / "ran"):
        data = _answers("Env (team) ${x}", value)
        assert validate_mapping(data).targets.tag_value == value
        jsonschema.validate(data, schema)


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("targets.tag_value", "x" * 257, "1–256 characters"),
        ("targets.tag_value", "two\nlines", "control characters"),
        ("targets.tag_value", "nul\x00", "control characters"),
        ("targets.tag_key", "aws:env", "'aws:'"),
        ("targets.tag_key", "k" * 129, "1–128 characters"),
    ],
)
def test_what_ec2_refuses_is_still_refused(key: str, value: str, why: str) -> None:
    section, name = key.split(".")
    with pytest.raises(AnswersError) as caught:
        validate_mapping({"version": 1, section: {name: value}})
    [problem] = caught.value.problems
    assert problem.path == key and why in problem.message


def test_the_ssm_agent_install_keeps_systems_managers_tag_rules() -> None:
    """`tag:<key>` becomes an SSM association target, whose key pattern has no '+' or '('."""
    ssm = {"create_instance": False, "agent_install": "ssm"}
    with pytest.raises(AnswersError) as caught:
        validate_mapping(_answers("Deploy+Group (x)", "web", **ssm))
    [problem] = caught.value.problems
    assert problem.path == "targets.tag_key"
    assert "'('" in problem.message and "'+'" in problem.message
    assert "Systems Manager" in problem.message
    # letters of any script, spaces and SSM's punctuation are fine; the value is free
    found = validate_mapping(_answers("Umgebung Süd_1", "batch runner (prod)", **ssm))
    assert found.targets.tag_key == "Umgebung Süd_1"
    # user_data (the default) never sends the key to SSM
    assert validate_mapping(_answers("Deploy+Group (x)", "web")).targets.tag_key


# --- inert --------------------------------------------------------------------------------------


def test_each_filter_reads_back_exactly_the_value(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for value in _values(marker):
        parsed = hcl2.loads(f"x = {hcl(value)}\n")["x"]
        assert hcl_text(parsed) == value
        assert json.loads(json_value(value)) == value
        assert yaml.safe_load(yaml_value(value)) == value
        echoed = subprocess.run(
            ["bash", "-c", f"printf %s {sh(value)}"], capture_output=True, check=True, cwd=tmp_path
        )
        assert echoed.stdout.decode() == value
    assert not marker.exists()


def test_the_rendered_workspace_carries_the_value_only_as_data(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payloads = set()
    for value in _values(marker):
        answers = validate_mapping(_answers("Env (team) ${x}", value))
        tree = render(answers)
        tfvars = json.loads(tree["terraform/terraform.tfvars.json"].content)
        assert (tfvars["tag_key"], tfvars["tag_value"]) == ("Env (team) ${x}", value)
        for rel, rendered in tree.items():
            if rel.endswith(".tf"):
                text = rendered.content.decode()
                hcl2.loads(text)  # still parses
                assert value not in text, f"{rel} embeds the tag as source text"
        payloads.add(tuple((k, f.content) for k, f in tree.items() if k.startswith("payload/")))
    # the tag never reaches the payload: its hooks are the same whatever the tag says
    assert len(payloads) == 1
    write_tree(dict(tree.items()), tmp_path / "ws")
    scripts = sorted((tmp_path / "ws" / "payload" / "scripts").glob("*.sh"))
    assert scripts
    for script in scripts:
        checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert checked.returncode == 0, f"{script.name}: {checked.stderr}"
    assert not marker.exists()
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (Debian/Ubuntu: apt-get install shellcheck)")
    linted = subprocess.run(
        [shellcheck, "--shell=bash", "--severity=style", *map(str, scripts)],
        capture_output=True,
        text=True,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.mark.terraform
@pytest.mark.mirror
def test_terraform_validates_and_reads_back_exactly_what_was_typed(
    terraform_bin: str, tf_env: dict[str, str], tmp_path: Path
) -> None:
    """One init and one validate (it checks the configuration, whatever the values); each case is
    a new `terraform.tfvars.json` that terraform itself reads back: the two fleet tags, and one
    key and value holding every hostile construct at once."""
    marker = tmp_path / "ran"
    root = tmp_path / "root"
    hostile = " ".join(v.replace("{marker}", str(marker)) for v in HOSTILE)[:256]
    cases = [
        ("Env (team)", FLEET_TAGS[0]),
        ("Umgebung", FLEET_TAGS[1]),
        (f'Team ${{x}} %{{y}} "q" $(touch {marker}) `id`'[:128], hostile),
    ]
    for i, (key, value) in enumerate(cases):
        tree = render(validate_mapping(_answers(key, value)))
        if i == 0:
            write_tree(
                {k.removeprefix("terraform/"): f for k, f in tree.items() if "terraform/" in k},
                root,
            )
            init_for_console(terraform_bin, root, tf_env)
            result = validate(terraform_bin, root, tf_env)
            assert result["valid"], json.dumps(result["diagnostics"], indent=2)
        else:
            tfvars = tree["terraform/terraform.tfvars.json"].content
            (root / "terraform.tfvars.json").write_bytes(tfvars)
        seen = console_value(
            terraform_bin, root, tf_env, "{key = var.tag_key, value = var.tag_value}"
        )
        assert seen == {"key": key, "value": value}
    assert not marker.exists()
