"""The plan summary in pipeline terms, over real `show -json` plans of the full stack on the
sandbox (recorded by tests/data/tf_streams/record_sandbox.py)."""

from __future__ import annotations

import json
from pathlib import Path

from wizard.services.terraform.summary import action_of, summarize

STREAMS = Path(__file__).parent / "data" / "tf_streams"


def plan(name: str) -> dict:
    return json.loads((STREAMS / f"sandbox_{name}.json").read_text())


def test_create_plan_reads_like_the_pipeline() -> None:
    s = summarize(plan("plan"))
    assert (s.add, s.change, s.remove) == (22, 0, 0)
    assert s.destructive == () and s.level == "info"
    text = s.summary()
    assert text.startswith(
        "plan: creates pipeline devops-python-service, deployment group "
        "devops-python-service-dg targeting tag Name=devops-python-service, "
    )
    assert "4 IAM roles (" in text and "CodeDeployServiceRole" in text
    assert "EC2 instance (t3.micro)" in text
    assert text.endswith("(22 to add, 0 to change, 0 to destroy)")
    assert s.lines()[0] == "creates pipeline devops-python-service"
    addresses = [a for item in s.items for a in item.addresses]
    assert len(addresses) == len(set(addresses)) == 22


def test_replacing_pipeline_and_bucket_is_flagged_destructive() -> None:
    s = summarize(plan("replace"))
    assert s.level == "warn"
    assert any(
        d.startswith("replaces pipeline devops-python-service -> renamed-pipeline")
        and "changing name forces a new one" in d
        for d in s.destructive
    )
    assert any(d.startswith("replaces artifact bucket") for d in s.destructive)
    flagged = [line for line in s.lines() if line.endswith("DESTRUCTIVE")]
    assert flagged and all(line.startswith("replaces") for line in flagged)
    assert "updates IAM role" in s.summary()  # in-place updates are not destructive
    assert not any("IAM role" in d for d in s.destructive)


def test_destroy_plan_flags_every_delivery_resource() -> None:
    s = summarize(plan("destroy"), operation="destroy")
    assert (s.add, s.change, s.remove) == (0, 0, 22)
    kinds = {d.split(" ")[1] for d in s.destructive}
    assert kinds >= {"pipeline", "deployment", "artifact", "IAM", "CodeDeploy"}
    assert "DESTRUCTIVE" in s.summary()


def test_no_changes() -> None:
    s = summarize({"resource_changes": []})
    assert not s.has_changes
    assert s.summary() == "no changes: the infrastructure matches the answers"


def test_action_of() -> None:
    assert action_of(["delete", "create"]) == "replace"
    assert action_of(["create", "delete"]) == "replace"
    assert action_of(["no-op"]) == "noop"
    assert action_of(["update"]) == "update"
    assert action_of([]) == "noop"
