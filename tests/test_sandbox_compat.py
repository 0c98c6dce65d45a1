"""The sandbox refuses a moto it cannot run on, before terraform runs; it adapts moto's answers on
the wire; and an emulator failure reaches the user as one line.

Canaries: `test_installed_moto_is_supported` and `test_every_precondition_holds` fail as soon as
the installed moto leaves the tested range or drops an internal a shim or extension relies on.
"""

from __future__ import annotations

import json
import logging.config
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from wizard.services.sandbox import compat, wire
from wizard.services.sandbox.launcher import Sandbox


def test_installed_moto_is_supported() -> None:
    version = compat.moto_version()
    assert version is not None
    assert compat.in_supported_range(version), (version, compat.supported_range())


def test_supported_range_is_the_one_pyproject_and_the_lock_declare() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = f"moto[server]{compat.supported_range()}"
    assert wanted in extras["sandbox"] and wanted in extras["test"]
    lock = (REPO / "constraints.txt").read_text()
    assert re.search(rf"^moto(\[server\])?=={re.escape(compat.LOCKED_MOTO)}\b", lock, re.M)
    assert compat.in_supported_range(compat.LOCKED_MOTO)


def test_every_precondition_holds() -> None:
    report = compat.check()
    assert report.ok and report.problems == (), report.problems
    assert report.warning() is None  # the tested range: no notice


@pytest.mark.parametrize(
    ("version", "inside"),
    [("5.2.4", False), ("5.2.5", True), ("5.2.6", True), ("5.2.7.dev0", False), ("5.3.0", False)],
)
def test_supported_range(version: str, inside: bool) -> None:
    assert compat.in_supported_range(version) is inside


def test_a_missing_internal_is_named_with_the_fix() -> None:
    needs = (
        compat.Need("delivery", "moto.codedeploy.responses", "_no_such_helper"),
        compat.Need(
            "delivery",
            "moto.codepipeline.models",
            "CodePipelineBackend.create_pipeline",
            ("definition", "tags"),
        ),
        compat.Need("x", "moto.no_such_module", "thing"),
    )
    report = compat.check(needs)
    assert not report.ok and len(report.problems) == 3
    text = report.refusal()
    assert "moto.codedeploy.responses._no_such_helper is missing" in text
    assert "takes (pipeline, tags), not (definition, tags)" in text
    assert f"moto {compat.moto_version()}" in text and compat.supported_range() in text
    assert re.search(
        rf"pip install( --force-reinstall)? 'moto\[server\]=={compat.LOCKED_MOTO}'", text
    )


def test_outside_the_range_but_compatible_is_a_warning() -> None:
    report = compat.Report("5.9.0", ())
    assert report.ok and not report.in_range
    assert "outside the tested range" in (report.warning() or "")


# --- the refusal, end to end -----------------------------------------------------------------


def test_unsupported_moto_is_refused_before_terraform(tmp_path: Path) -> None:
    """A moto whose CodeDeploy module lost a private helper the delivery extension uses (as a
    release could do): `apply --sandbox` stops with the refusal and exit 4, before rendering or
    running terraform."""
    custom = tmp_path / "site"
    custom.mkdir()
    (custom / "sitecustomize.py").write_text(
        "import moto.codedeploy.responses as r\ndel r._deployment_info\n"
    )
    answers = tmp_path / "answers.yml"
    answers.write_text("version: 1\n")
    out = tmp_path / "ws"
    env = dict(os.environ, PYTHONPATH=f"{custom}{os.pathsep}{REPO}")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wizard.cli",
            "apply",
            "--sandbox",
            "--answers",
            str(answers),
            "--out",
            str(out),
            "--yes",
            "--plain",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode == 4, text
    assert "the sandbox cannot start" in text
    assert "moto.codedeploy.responses._deployment_info is missing" in text
    assert f"moto[server]=={compat.LOCKED_MOTO}" in text
    assert "Traceback" not in text
    assert not (out / "terraform").exists()  # nothing rendered, so terraform never ran


# --- the wire adapters -----------------------------------------------------------------------


def _app(status: str, body: bytes) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", "1")])
        return [body]

    return app


def _call(app: Any, target: str) -> tuple[str, dict[str, str], bytes]:
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        got.update(status=status, headers=dict(headers))

    environ = {"HTTP_X_AMZ_TARGET": target, "REQUEST_METHOD": "POST", "PATH_INFO": "/"}
    body = b"".join(app(environ, start_response))
    return got["status"], got["headers"], body


@pytest.mark.parametrize("created", ["2026-01-02T03:04:05.123000+00:00", 1767323045.123])
def test_pipeline_timestamps_become_epoch_numbers(created: Any) -> None:
    """ISO strings (moto 5.2.5) are converted; numbers (moto 5.2.6) pass unchanged."""
    answer = json.dumps({"pipeline": {"name": "p"}, "metadata": {"created": created}}).encode()
    faults = wire.Faults()
    app = wire.WireAdapter(_app("200 OK", answer), faults)
    _, headers, body = _call(app, "CodePipeline_20150709.GetPipeline")
    data = json.loads(body)
    assert data["metadata"]["created"] == pytest.approx(1767323045.123)
    assert headers["Content-Length"] == str(len(body))
    assert faults.drain() == []


def test_empty_load_balancer_info_is_dropped_and_others_untouched() -> None:
    answer = json.dumps({"deploymentGroupInfo": {"loadBalancerInfo": {}, "x": 1}}).encode()
    app = wire.WireAdapter(_app("200 OK", answer), wire.Faults())
    _, _, body = _call(app, "CodeDeploy_20141006.GetDeploymentGroup")
    assert json.loads(body) == {"deploymentGroupInfo": {"x": 1}}
    _, _, body = _call(app, "CodeDeploy_20141006.GetApplication")  # no adapter: as sent
    assert body == answer


def test_failures_are_recorded_once() -> None:
    faults = wire.Faults()
    app = wire.WireAdapter(_app("500 INTERNAL SERVER ERROR", b'{"message": "boom"}'), faults)
    _call(app, "CodePipeline_20150709.GetPipeline")

    def raising(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise TypeError("the JSON object must be str, not ActionResult")

    with pytest.raises(TypeError):
        _call(wire.WireAdapter(raising, faults), "CodeDeploy_20141006.ListApplications")
    got = faults.drain()
    assert [(f.service, f.operation, f.status) for f in got] == [
        ("CodePipeline", "GetPipeline", 500),
        ("CodeDeploy", "ListApplications", 500),
    ]
    assert got[0].error == "boom" and "ActionResult" in got[1].error
    assert faults.drain() == []


def test_sandbox_reports_an_emulator_failure_in_one_line(tmp_path: Path) -> None:
    """A real emulator error (an API neither moto nor cdwizard implements) becomes one line
    naming the call and the log; the traceback is in the log."""
    log = tmp_path / "sandbox.log"
    with Sandbox(log_file=log) as box:
        assert box.describe_faults() is None
        ec2 = box.clients.client("ec2")
        with pytest.raises(Exception):  # noqa: B017 - whichever error botocore makes of a 500
            ec2.describe_capacity_block_extension_history()
        line = box.describe_faults()
        assert box.describe_faults() is None  # reported once
    assert line is not None and "\n" not in line
    assert line.startswith("sandbox: ec2 DescribeCapacityBlockExtensionHistory failed")
    assert str(log) in line
    assert "Traceback" in log.read_text()


def test_the_traceback_reaches_the_log_after_a_dict_config_elsewhere(tmp_path: Path) -> None:
    """`logging.config.dictConfig` (import-linter's, an embedding app's) disables every logger
    that exists by default: werkzeug's and ours, once a sandbox has served. The next sandbox
    still writes the emulator's traceback to its log."""
    with Sandbox(log_file=tmp_path / "first.log") as box:
        box.clients.client("sts").get_caller_identity()  # werkzeug's logger exists from here
    logging.config.dictConfig({"version": 1})  # disable_existing_loggers defaults to True
    log = tmp_path / "sandbox.log"
    with Sandbox(log_file=log) as box:
        with pytest.raises(Exception):  # noqa: B017 - whichever error botocore makes of a 500
            box.clients.client("ec2").describe_capacity_block_extension_history()
        assert box.describe_faults() is not None
    assert "Traceback" in log.read_text()


def _fail_one_call(box: Sandbox) -> None:
    with pytest.raises(Exception):  # noqa: B017 - whichever error botocore makes of a 500
        box.clients.client("ec2").describe_capacity_block_extension_history()


def test_workflow_and_monitor_report_emulator_failures(tmp_path: Path, terraform_bin: str) -> None:
    """While terraform runs (the workflow) or the monitor polls, a new emulator failure becomes
    one warning line, once."""
    from wizard.core.answers import default_answers
    from wizard.core.events.base import Notice
    from wizard.services.aws.monitor import monitor as monitor_module
    from wizard.services.terraform.workflow import Options, Workflow

    events: list[Any] = []
    flow = Workflow(Options(default_answers(), tmp_path, sandbox=True), emit=events.append)
    flow.start()
    try:
        _fail_one_call(flow.sandbox)
        flow.report_emulator_faults()
        flow.report_emulator_faults()  # nothing new: no second line
        warned = [e for e in events if isinstance(e, Notice) and e.level == "warn"]
        assert len(warned) == 1 and "DescribeCapacityBlockExtensionHistory" in warned[0].text
        assert "sandbox.log" in warned[0].text
        assert monitor_module._emulator_fault() is None
        _fail_one_call(flow.sandbox)  # the same failure again is not news
        assert monitor_module._emulator_fault() is None
        flow.sandbox.faults()  # (drained)
    finally:
        flow.close()
    assert monitor_module._emulator_fault() is None  # no sandbox running: nothing to report
