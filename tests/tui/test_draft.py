"""The wizard's draft: prefill precedence, discovery suggestions, per-step validation, saving."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from wizard.app import persist
from wizard.app.draft import Draft
from wizard.core.answers import load_answers


def test_file_wins_over_saved_and_defaults_fill_the_rest() -> None:
    draft = Draft.prefilled(
        file={"project": "from-file"},
        saved={"project": "saved", "aws.region": "us-east-2"},
    )
    assert draft.text("project") == "from-file"
    assert draft.origin("project") == "file"
    assert draft.text("aws.region") == "us-east-2"
    assert draft.origin("aws.region") == "saved"
    assert draft.text("source.branch") == "master"
    assert draft.origin("source.branch") == "default"
    # derived defaults follow the project
    assert draft.text("deployment.group") == "from-file-dg"


def test_discovery_suggests_only_over_defaults() -> None:
    draft = Draft.prefilled(saved={"source.branch": "develop"})
    assert draft.suggest("source.repository", "found-repo")
    assert draft.origin("source.repository") == "discovered"
    assert not draft.suggest("source.branch", "main"), "a saved answer is kept"
    draft.set_text("pipeline.name", "mine")
    assert not draft.suggest("pipeline.name", "other"), "a typed answer is kept"
    assert draft.text("pipeline.name") == "mine"


def test_problems_are_per_step_and_include_cross_field_rules() -> None:
    draft = Draft()
    draft.set_text("targets.create_instance", "no")  # user_data needs created instances
    draft.set_text("payload.port", "abc")
    targets = draft.problems("targets")
    assert list(targets) == ["targets.agent_install"]
    assert "only installs the agent" in targets["targets.agent_install"].message
    payload = draft.problems("payload")
    assert payload["payload.port"].message == "must be a whole number"
    assert draft.problems("source") == {}


def test_what_was_typed_is_kept_even_when_invalid() -> None:
    draft = Draft()
    draft.set_text("source.branch", "bad branch")
    assert draft.text("source.branch") == "bad branch"
    assert draft.value("source.branch") == "master", "invalid text falls back to the default"
    assert "source" not in draft.document(), "invalid text is never saved"


def test_document_holds_completed_steps_and_valid_values(tmp_path: Path) -> None:
    draft = Draft()
    draft.set_text("project", "shop")
    draft.complete("welcome")
    draft.complete("aws")
    draft.set_text("payload.port", "9000")  # typed ahead, valid: kept too
    doc = draft.document()
    assert doc == {
        "version": 1,
        "project": "shop",
        "aws": {"region": "eu-west-1", "profile": None},
        "payload": {"port": 9000},
    }
    saved_to = persist.save(tmp_path, draft)
    assert yaml.safe_load(saved_to.read_text()) == doc
    state = json.loads((tmp_path / ".cdwizard" / "wizard.json").read_text())
    assert state["completed"] == ["welcome", "aws"]
    again = persist.load_saved(tmp_path)
    assert again is not None
    assert again.completed == ("welcome", "aws")
    resumed = Draft.prefilled(saved=again.flat, completed=again.completed)
    assert resumed.resume_step() == "source"
    assert resumed.text("payload.port") == "9000"


def test_a_finished_draft_is_a_valid_answers_file(tmp_path: Path) -> None:
    draft = Draft()
    for step in ("welcome", "aws", "source", "targets", "deployment", "payload"):
        draft.complete(step)
    path = persist.save(tmp_path, draft)
    answers = load_answers(path)
    assert answers == draft.answers()
    assert draft.resume_step() == "review"


def test_lenient_read_keeps_the_usable_part(tmp_path: Path) -> None:
    given = tmp_path / "a.yml"
    given.write_text("version: 1\nproject: x1x\nnope: 1\naws: {region: 5}\n")
    loaded = persist.read_lenient(given)
    assert loaded.flat == {"project": "x1x", "aws.region": 5}
    assert [p.path for p in loaded.problems] == ["nope"]
    broken = tmp_path / "b.yml"
    broken.write_text("project: [unclosed\n")
    assert persist.read_lenient(broken).problems[0].message.startswith("is not valid YAML")
