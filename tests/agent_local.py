"""The real CodeDeploy agent, run locally for comparisons with `cdwizard rehearse` (no tests here).

Point `CDWIZARD_AGENT_DIR` at an unpacked `aws/aws-codedeploy-agent` source tree (for example
`git archive` of the repository into a scratch folder) on a machine with Debian's `ruby`,
`ruby-aws-sdk-core`, `ruby-aws-sdk-s3`, `ruby-zip`, `ruby-minitar`, `ruby-logging`,
`ruby-concurrent` and `ruby-json`. `tests/agent/launch.rb` (ours) loads the agent's `lib/` without
its gem launcher. Nothing of the agent is kept in this repository: its sample bundles
(`features/resources`) and the appspec texts of its unit tests are read from that tree at run
time. Without it, `skip_reason()` says why and the comparisons skip (CI has no Ruby).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ENV = "CDWIZARD_AGENT_DIR"
LAUNCHER = Path(__file__).parent / "agent" / "launch.rb"
APPSPEC_TESTS = "test/instance_agent/plugins/codedeploy/application_specification_test.rb"
SAMPLE_BUNDLES = "features/resources"


def agent_dir() -> Path | None:
    value = os.environ.get(ENV)
    return Path(value) if value else None


@cache
def skip_reason() -> str | None:
    """None when the agent can run here, else why not (and how to make it run)."""
    where = agent_dir()
    if where is None:
        return (
            f"{ENV} is not set: unpack aws/aws-codedeploy-agent somewhere (git archive) and point "
            f"{ENV} at it to compare rehearse with the real agent"
        )
    if not (where / "lib" / "aws" / "codedeploy" / "local" / "deployer.rb").is_file():
        return f"{ENV}={where} is not an unpacked aws/aws-codedeploy-agent tree"
    if shutil.which("ruby") is None:
        return "ruby is not installed (apt-get install ruby ruby-aws-sdk-core ruby-aws-sdk-s3 …)"
    probe = subprocess.run(
        ["ruby", str(LAUNCHER), "appspec"],
        input="[]",
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"the agent's code does not load here ({last}); see tests/agent_local.py"
    return None


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env[ENV] = str(agent_dir())
    env["CDWIZARD_AGENT_QUIET"] = "1"
    return env


def check_appspecs(texts: Sequence[str]) -> list[dict[str, Any]]:
    """The agent's parser on each text: `{"valid": True}` or `{"error": CLASS, "message": M}`."""
    done = subprocess.run(
        ["ruby", str(LAUNCHER), "appspec"],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


@dataclass(frozen=True)
class AgentRun:
    """One codedeploy-local deployment: how it ended and what it printed."""

    outcome: str  # succeeded | script_error | error | crashed
    message: str | None
    lines: tuple[str, ...]
    deployment_dir: Path | None
    error: str | None = None
    code: int | None = None


class LocalAgent:
    """codedeploy-local with its own configuration: deployment root `<base>/root`."""

    def __init__(self, base: Path, *, max_revisions: int = 5) -> None:
        self.base = base
        self.root = base / "root"
        self.config = base / "conf" / "codedeployagent.yml"
        self.config.parent.mkdir(parents=True, exist_ok=True)
        settings = {
            ":log_aws_wire": "false",
            ":log_dir": f"'{base / 'log'}'",
            ":pid_dir": f"'{base / 'pid'}'",
            ":program_name": "codedeploy-agent",
            ":root_dir": f"'{self.root}'",
            ":verbose": "false",
            ":wait_between_runs": "1",
            ":proxy_uri": "",
            ":max_revisions": str(max_revisions),
            ":disable_imds_v1": "false",
        }
        self.config.write_text(
            "---\n" + "".join(f"{k}: {v}\n" for k, v in settings.items()), encoding="utf-8"
        )

    def timed(self, bundle: Path, count: int, **options: str) -> list[float]:
        """`count` deployments of `bundle` in one Ruby process (no interpreter start-up in the
        numbers); the seconds each took, as the launcher measured them. All must succeed."""
        one = {
            "bundle-location": str(bundle),
            "agent-configuration-file": str(self.config),
            "file-exists-behavior": "OVERWRITE",
            **options,
        }
        done = subprocess.run(
            ["ruby", str(LAUNCHER), "deploy", json.dumps([one] * count)],
            capture_output=True,
            text=True,
            env=_env(),
            cwd=self.base,
            check=True,
        )
        results = [
            json.loads(line[len("RESULT ") :])
            for line in done.stdout.splitlines()
            if line.startswith("RESULT ")
        ]
        failed = [r for r in results if r["outcome"] != "succeeded"]
        if failed or len(results) != count:
            raise RuntimeError(f"the agent's deployments failed: {failed or done.stdout}")
        return [float(r["seconds"]) for r in results]

    def deploy(
        self,
        bundle: Path,
        *,
        bundle_type: str = "directory",
        group_id: str = "default-local-deployment-group",
        events: Sequence[str] | None = None,
        file_exists_behavior: str = "DISALLOW",
        application: str | None = None,
        group_name: str | None = None,
        umask: int | None = None,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> AgentRun:
        options: dict[str, str] = {
            "bundle-location": str(bundle),
            "type": bundle_type,
            "deployment-group": group_id,
            "file-exists-behavior": file_exists_behavior,
            "agent-configuration-file": str(self.config),
        }
        if events:
            options["events"] = ",".join(events)
        if application:
            options["application-name"] = application
        if group_name:
            options["deployment-group-name"] = group_name
        done = subprocess.run(
            ["ruby", str(LAUNCHER), "deploy", json.dumps(options)],
            capture_output=True,
            text=True,
            env={**_env(), **(env or {})},
            cwd=cwd or self.base,
            umask=-1 if umask is None else umask,
            check=False,
        )
        lines = done.stdout.splitlines()
        if not lines or not lines[-1].startswith("RESULT "):
            raise RuntimeError(f"the agent launcher failed: {done.stdout}{done.stderr}")
        result = json.loads(lines[-1][len("RESULT ") :])
        started = next((ln for ln in lines if ln.startswith("Starting to execute deployment")), "")
        where = started.rsplit(" ", 1)[-1] if started else None
        return AgentRun(
            outcome=result["outcome"],
            message=result.get("message"),
            lines=tuple(lines[:-1]),
            deployment_dir=Path(where) if where else None,
            error=result.get("error"),
            code=result.get("code"),
        )


# --- test data read from the agent's tree at run time ---------------------------------------


@dataclass(frozen=True)
class AppSpecFixture:
    """One `@app_spec_string` of the agent's appspec unit tests."""

    line: int
    context: str
    text: str


_CONTEXT = re.compile(r'^\s*context\s+"([^"]*)"')
_ASSIGN = re.compile(r"^\s*@app_spec_string\s*=\s*(.*)$")


def appspec_fixtures(root: Path) -> list[AppSpecFixture]:
    """Every appspec text of `application_specification_test.rb` (heredocs and one-line
    strings), with the test context it belongs to."""
    lines = (root / APPSPEC_TESTS).read_text(encoding="utf-8").splitlines()
    found: list[AppSpecFixture] = []
    context = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if m := _CONTEXT.match(line):
            context = m.group(1)
        if m := _ASSIGN.match(line):
            value = m.group(1).strip()
            if value.startswith("<<-"):
                end = value[3:].strip()
                body: list[str] = []
                index += 1
                while lines[index].strip() != end:
                    body.append(lines[index])
                    index += 1
                found.append(AppSpecFixture(index + 1, context, "\n".join(body) + "\n"))
            elif value[:1] in "\"'":
                found.append(AppSpecFixture(index + 1, context, _ruby_string(value)))
        index += 1
    return found


def _ruby_string(literal: str) -> str:
    """A one-line Ruby string literal's value (the fixtures use only `\\n` escapes)."""
    body = literal[1:-1]
    return body.replace("\\n", "\n") if literal[0] == '"' else body


def sample_bundles(root: Path) -> Iterator[Path]:
    """The agent's own Linux sample bundles (`features/resources/*_linux`)."""
    yield from sorted(p for p in (root / SAMPLE_BUNDLES).glob("*_linux") if p.is_dir())
