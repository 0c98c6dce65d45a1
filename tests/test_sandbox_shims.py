"""Each sandbox shim and wire adapter, both ways: the gap is still in plain moto (when a moto
upgrade fixes it, the "plain" assertion fails and the shim should go) and the sandbox's emulator
answers as AWS does.

Each probe runs in its own process: shims patch moto process-wide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from wizard.services.sandbox import compat

PROBE = Path(__file__).parent / "data" / "sandbox_tf" / "probe.py"


def _at_least(version: str) -> bool:
    installed = compat.moto_version() or "0"
    return tuple(map(int, installed.split(".")[:3])) >= tuple(map(int, version.split(".")))


def _probe(mode: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
    proc = subprocess.run(
        [sys.executable, str(PROBE), mode],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def plain() -> dict[str, Any]:
    return _probe("plain")


@pytest.fixture(scope="module")
def shimmed() -> dict[str, Any]:
    return _probe("shimmed")


def test_managed_policies_need_the_flag(plain, shimmed) -> None:
    assert plain["managed_policy"] == "NoSuchEntity"
    assert shimmed["managed_policy"] == "ok"


def test_codepipeline_timestamps_are_epoch_numbers(plain, shimmed) -> None:
    # moto 5.2.6 serializes them from the service model itself; the wire adapter stays for 5.2.5
    assert plain["pipeline_created"] == ("float" if _at_least("5.2.6") else "str")
    assert shimmed["pipeline_created"] == "float"


def test_no_empty_load_balancer_info(plain, shimmed) -> None:
    assert plain["load_balancer_info"] == {}
    assert shimmed["load_balancer_info"] == "absent"


def test_codedeploy_update_and_delete(plain, shimmed) -> None:
    for op in ("update_group", "delete_group", "delete_app"):
        assert plain[op] == "500", op
    assert shimmed["update_group"] == "ok"
    assert shimmed["updated_config"] == "CodeDeployDefault.AllAtOnce"
    assert shimmed["renamed_tags"] == [{"Key": "k", "Value": "v"}]  # tags follow a rename
    assert shimmed["delete_group"] == shimmed["delete_group_again"] == "ok"  # idempotent
    assert shimmed["delete_app"] == "ok"
    assert shimmed["app_after_delete"] == "ApplicationDoesNotExistException"


def test_monitor_instances(plain, shimmed) -> None:
    assert plain["monitor"] == "500" and plain["monitoring_state"] == "disabled"
    assert shimmed["monitor"] == "ok" and shimmed["monitoring_state"] == "enabled"


def test_codecommit_dates_and_tags(plain, shimmed) -> None:
    assert plain["repo_created"] == "str" and plain["repo_tags"] == "500"
    assert shimmed["repo_created"] == "float"
    assert shimmed["repo_tag_values"] == {"Project": "x"}


def test_referenced_group_rule_keeps_its_description(plain, shimmed) -> None:
    assert plain["group_rule_description"] == "absent"
    assert shimmed["group_rule_description"] == "from the alb"


def test_deregistering_a_target_that_is_not_registered(plain, shimmed) -> None:
    # AWS: "If the specified target does not exist, the action returns successfully."
    assert plain["deregister_unregistered"] == "InvalidTarget"
    assert shimmed["deregister_unregistered"] == "ok"


def test_ssm_associations_extension(plain, shimmed) -> None:
    assert plain["association"] == "500"
    assert shimmed["association"] == "ok"


def test_s3_eventbridge_notification_is_read_back(plain, shimmed) -> None:
    assert plain["eventbridge_read_back"] is False
    assert shimmed["eventbridge_read_back"] is True


def test_connections_are_an_extension_of_the_emulator(plain, shimmed) -> None:
    assert plain["connections"] != "ok"  # moto has no CodeConnections at all
    assert shimmed["connections"] == "ok"


def test_requirements_met_outside_the_shims(plain, shimmed) -> None:
    # RunInstances needs an explicit root volume size: the instance module always sets one.
    assert plain["run_without_size"] == shimmed["run_without_size"] == "MissingParameter"
    # The provider may ask the emulator's STS for the account (no skip_requesting_account_id).
    assert plain["caller_account"] == shimmed["caller_account"] == "123456789012"


def test_shims_are_reversible() -> None:
    code = (
        "from moto.ec2.responses.monitoring import Monitoring\n"
        "from moto.codedeploy.responses import CodeDeployResponse as C\n"
        "from wizard.services.sandbox import shims\n"
        "before = Monitoring.__dict__['monitor_instances']\n"
        "shims.install_shims(); shims.install_shims()\n"
        "assert Monitoring.__dict__['monitor_instances'] is not before\n"
        "assert hasattr(C, 'delete_application')\n"
        "shims.uninstall_shims()\n"
        "assert Monitoring.__dict__['monitor_instances'] is before\n"
        "assert 'delete_application' not in C.__dict__ and shims.installed() == []\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
