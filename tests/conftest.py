"""Shared fixtures. Tool-dependent fixtures skip with an explicit reason when the tool is absent.

- `terraform_bin`: the terraform/tofu binary (skips when none is on PATH)
- `provider_mirror`: `$CDWIZARD_PROVIDER_MIRROR` (skips when unset or empty); `.ci/run` sets it
- `tf_env`: environment for running terraform offline against that mirror
- `moto_endpoint`: a moto server on 127.0.0.1 (one per test session, reset for each test);
  pipelines and deployments stay as moto records them
- `sandbox_endpoint`, `sim_clock`: the same server with the sandbox delivery simulation on and a
  fake clock (tests/sandbox_delivery_support.py)
- `aws_target`: an `AwsTarget` pointing at it with throw-away credentials
- `payload_wheelhouse`, `payload_pip_env`: the payload's wheels, built once
  (tests/payload_support.py)
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

# Fixtures for deploying the payload (`payload_wheelhouse`, `payload_pip_env`): see the module.
pytest_plugins = [
    "tests.payload_support",
    "tests.sandbox_delivery_support",
    "tests.fault_support",
]

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    found = (
        os.environ.get("CDWIZARD_TERRAFORM") or shutil.which("terraform") or shutil.which("tofu")
    )
    if not found:
        pytest.skip("terraform/tofu is not installed (needed for this test)")
    return found


@pytest.fixture(scope="session")
def provider_mirror() -> Path:
    mirror = os.environ.get("CDWIZARD_PROVIDER_MIRROR")
    if not mirror or not (Path(mirror) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(
            "no hashicorp/aws provider mirror: set CDWIZARD_PROVIDER_MIRROR (`.ci/run` finds one)"
        )
    return Path(mirror)


@pytest.fixture(scope="session")
def tf_cli_config(provider_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wizard.services.terraform.cliconfig import write_cli_config

    return write_cli_config(tmp_path_factory.mktemp("tfcli") / "terraformrc", provider_mirror)


@pytest.fixture
def tf_env(tf_cli_config: Path, terraform_bin: str) -> dict[str, str]:
    env = dict(os.environ)
    env["TF_CLI_CONFIG_FILE"] = str(tf_cli_config)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    return env


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from wizard.services.sandbox.extensions import install_all

    install_all()  # the APIs moto lacks that cdwizard's sandbox adds (same code as the product)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_endpoint(_moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto server for this test (state reset), with fake credentials in the env."""
    from wizard.services.sandbox.extensions import delivery

    delivery.set_enabled(False)  # plain moto executions/deployments; `sandbox_endpoint` runs them
    request = urllib.request.Request(f"{_moto_server}/moto-api/reset", method="POST")
    # generous: a reset takes ~0.2 s, but on a loaded machine one that frees a full stack (IAM
    # with every managed policy, ...) can wait for a garbage collection of many seconds
    urllib.request.urlopen(request, timeout=60).close()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return _moto_server


@pytest.fixture
def aws_target(moto_endpoint: str):
    from wizard.services.aws.session import AwsTarget

    return AwsTarget(
        region="eu-west-1",
        endpoint_url=moto_endpoint,
        access_key_id="testing",
        secret_access_key="testing",
    )
