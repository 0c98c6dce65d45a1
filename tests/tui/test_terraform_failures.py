"""A terraform failure shows where the user looks: in the panel that reports it, terraform's own
words (summary and detail), why, and the next step worded for the wizard. Real terraform, real
TUI (Pilot); offline: the provider install fails against an empty filesystem mirror, a network
mirror on a closed loopback port, or the registry behind a refusing proxy."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from textual.widgets import Button, Static

from tests.tf_offline import KINDS, cached_provider, cli_config
from tests.tui.waiting import wait_for
from wizard.app.adapters import workflow_factory
from wizard.app.ports import WizardServices
from wizard.commands.wizard import build_services
from wizard.services.terraform.cliconfig import write_cli_config
from wizard.tui.app import WizardApp
from wizard.tui.screens.apply import ApplyScreen
from wizard.tui.widgets.failure_panel import FailurePanel
from wizard.tui.widgets.lookup import LookupStatus

pytestmark = pytest.mark.terraform

SIZE = (120, 50)
BEFORE_REVIEW = ["welcome", "aws", "source", "targets", "deployment", "payload"]


def resume_at_review(out: Path, answers: str) -> None:
    """A saved draft whose steps before Review are done: the wizard resumes on Review."""
    (out / ".cdwizard").mkdir(parents=True, exist_ok=True)
    (out / "answers.yml").write_text(answers, encoding="utf-8")
    (out / ".cdwizard" / "wizard.json").write_text(json.dumps({"completed": BEFORE_REVIEW}))


def text_of(app: WizardApp, selector: str) -> str:
    """What a Static or a FailurePanel shows ("" while hidden)."""
    widget = app.screen.query_one(selector)
    if isinstance(widget, FailurePanel):
        return widget.text if widget.has_class("-shown") else ""
    assert isinstance(widget, Static)
    return str(widget.content) if widget.display else ""


def offline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str, terraform_bin: str
) -> tuple[Path, Path]:
    """terraform under a CLI configuration that cannot install providers, with a plugin cache
    holding the provider, and no mirror given to cdwizard."""
    config, extra = cli_config(tmp_path, kind)
    cache = cached_provider(tmp_path / "plugin-cache")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(cache))
    monkeypatch.setenv("CDWIZARD_TERRAFORM", terraform_bin)
    monkeypatch.delenv("CDWIZARD_PROVIDER_MIRROR", raising=False)
    for key, value in extra.items():
        monkeypatch.setenv(key, value)
    return config, cache


@pytest.mark.parametrize("kind", KINDS)
async def test_a_failing_init_shows_terraforms_words_and_the_mirror_option_on_review(
    kind: str,
    tmp_path: Path,
    moto_services: WizardServices,
    terraform_bin: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, cache = offline(monkeypatch, tmp_path, kind, terraform_bin)
    out = tmp_path / "workspace"  # the `out` fixture's folder, which discovery uses
    moto_services.runner = workflow_factory(sandbox=None, mirror=None)
    resume_at_review(out, "version: 1\nproject: offline\n")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "STEP", "") == "review", what="review")
        plan = app.screen.query_one("#status-plan", LookupStatus)
        await wait_for(pilot, lambda: plan.state == "failed", what="the failed init", timeout=120)
        assert plan.text.startswith(
            "terraform init failed: Failed to query available provider packages."
        )
        problem = text_of(app, "#plan-problem")
        # terraform's own words, summary and detail, in the panel itself
        assert "✗ Failed to query available provider packages" in problem
        assert "Could not retrieve the list of available versions for provider hashicorp/aws" in (
            problem
        )
        # the next steps, worded for the wizard: the plugin cache terraform knows, any mirror
        restart = f"cdwizard --out {out} --provider-mirror"
        assert f"{cache} (TF_PLUGIN_CACHE_DIR) already holds the provider" in problem
        assert f"quit (Ctrl+Q, your answers are kept) and start again with `{restart} {cache}`" in (
            problem
        )
        assert f"`{restart} DIR` (or set CDWIZARD_PROVIDER_MIRROR=DIR)" in problem
        assert "providers mirror DIR" in problem
        if kind == "refusing-proxy":
            assert "Why: terraform cannot reach the provider registry." in plan.text
            assert "HTTPS_PROXY is set to a proxy that refused the connection" in problem
        else:
            assert f"Terraform's CLI configuration {config} sends provider installs to" in problem
        assert "see above" not in plan.text + problem and "log above" not in plan.text + problem
        assert app.screen.query_one("#next", Button).disabled, "nothing to apply"


@pytest.mark.slow
@pytest.mark.mirror
async def test_fixing_the_install_plans_again_and_a_failing_apply_says_why_and_what_next(
    tmp_path: Path, terraform_bin: str, provider_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole story against the sandbox: init fails (empty mirror) → the CLI configuration is
    fixed and Ctrl+R plans again → the apply fails on a role that already exists, and the apply
    panel says so with terraform's words, the answers key to change, and the destroy command.
    The target tag is a real fleet's ('Env (team)' = 'batch runner (prod)'): the emulator's
    deployment group and instance carry it exactly."""
    offline(monkeypatch, tmp_path, "empty-mirror", terraform_bin)
    out = tmp_path / "ws"
    resume_at_review(
        out,
        "version: 1\nproject: clash\n"
        "targets: {tag_key: 'Env (team)', tag_value: 'batch runner (prod)'}\n",
    )
    args = argparse.Namespace(
        out=out, sandbox=True, provider_mirror=None, answers=None, command=None
    )
    services = build_services(args)
    app = WizardApp(out=out, services=services, resume=True)
    sandbox = services.extra["sandbox"]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(
                pilot, lambda: getattr(app.screen, "STEP", "") == "review", what="review"
            )
            plan = app.screen.query_one("#status-plan", LookupStatus)
            await wait_for(pilot, lambda: plan.state == "failed", what="failed init", timeout=120)
            assert "Failed to query available provider packages" in plan.text

            # the fix the panel names: a CLI configuration that finds the provider; Ctrl+R
            good = write_cli_config(tmp_path / "fixed.tfrc", provider_mirror)
            monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(good))
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: plan.state == "loading", what="planning again")
            await wait_for(
                pilot, lambda: plan.state in ("ok", "failed"), what="the plan", timeout=600
            )
            assert plan.state == "ok", plan.text + text_of(app, "#plan-problem")
            assert text_of(app, "#plan-problem") == ""

            iam = sandbox.box().clients.client("iam")
            iam.create_role(RoleName="clash-codepipeline", AssumeRolePolicyDocument="{}")
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, ApplyScreen), what="apply")
            screen = app.screen
            assert isinstance(screen, ApplyScreen)
            await wait_for(pilot, lambda: screen.finished is not None, what="apply", timeout=900)
            result = text_of(app, "#result")
            assert result.startswith("✗ Apply failed"), result
            failure = text_of(app, "#failure")
            address = "module.pipeline.aws_iam_role.this"
            assert f"✗ IAM role clash-codepipeline ({address}): creating IAM Role" in failure
            assert "Role with name clash-codepipeline already exists" in failure
            assert "Why: a resource with that name already exists." in failure
            assert (
                "'clash-codepipeline' exists outside this workspace: go back (Esc) and choose "
                "another name for Welcome › Project (project)"
            ) in failure
            assert f"`cdwizard destroy --answers {out}/answers.yml --out {out} --sandbox`" in (
                failure
            )
            assert "see the raw log" not in failure
            clients = sandbox.box().clients
            group = clients.client("codedeploy").get_deployment_group(
                applicationName="clash", deploymentGroupName="clash-dg"
            )["deploymentGroupInfo"]
            [[tag]] = group["ec2TagSet"]["ec2TagSetList"]
            assert (tag["Key"], tag["Value"]) == ("Env (team)", "batch runner (prod)")
            tagged = clients.client("ec2").describe_instances(
                Filters=[{"Name": "tag:Env (team)", "Values": ["batch runner (prod)"]}]
            )["Reservations"]
            assert len(tagged) == 1
    finally:
        sandbox.stop()
