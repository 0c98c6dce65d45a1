"""The monitor model fed by a real local rehearsal: its lifecycle events fold into the same
snapshots (and the same failure explanation) the AWS pollers produce."""

from __future__ import annotations

from pathlib import Path

from wizard.core.events.base import Event
from wizard.core.timeline import EventFold, Snapshot, explain
from wizard.services.rehearse import Rehearsal, RehearsalOptions

APPSPEC = """\
version: 0.0
os: linux
hooks:
  BeforeInstall:
    - location: scripts/before.sh
  AfterInstall:
    - location: scripts/after.sh
"""


class FoldingSink:
    def __init__(self) -> None:
        self.fold = EventFold()
        self.snapshots: list[Snapshot] = []

    def emit(self, event: Event) -> None:
        snap = self.fold.apply(event)
        if snap is not None:
            self.snapshots.append(snap)

    def close(self) -> None:
        return None


def test_a_rehearsal_folds_into_monitor_snapshots(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "scripts").mkdir(parents=True)
    (bundle / "appspec.yml").write_text(APPSPEC)
    for name, body in (
        ("before.sh", "#!/bin/sh\necho preparing\n"),
        ("after.sh", "#!/bin/sh\necho installing >&2\nexit 2\n"),
    ):
        script = bundle / "scripts" / name
        script.write_text(body)
        script.chmod(0o755)
    sink = FoldingSink()
    result = Rehearsal(RehearsalOptions(bundle=bundle, root=tmp_path / "root")).run(sink)

    assert not result.succeeded
    first, last = sink.snapshots[0], sink.snapshots[-1]
    assert first.deployment is not None and [i.status for i in first.deployment.instances] == [
        "Pending"
    ]
    assert [s.sequence for s in sink.snapshots] == list(range(1, len(sink.snapshots) + 1))
    dep = last.deployment
    assert dep is not None and dep.final and dep.status.value == "Failed"
    (inst,) = dep.instances
    assert inst.status == "Failed" and inst.failed_cell is not None
    assert inst.failed_cell.name == "AfterInstall"
    assert inst.cell("BeforeInstall").status.value == "Succeeded"
    report = explain(last)
    assert report is not None
    assert report.headline == "1 of 1 instance failed at AfterInstall (exit 2)"
    assert "installing" in (report.diagnostics.log_tail if report.diagnostics else "")
