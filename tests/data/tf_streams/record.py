"""Re-record the terraform `-json` streams in this folder with the terraform on PATH.

    python tests/data/tf_streams/record.py

Uses only terraform's built-in `terraform_data` resource and `terraform_remote_state` data source,
so no provider download is needed. Files: `<name>.jsonl` (stdout), `<name>.stderr`,
`<name>.rc` (exit code). `tofu_version.jsonl` is not recorded: it is the documented OpenTofu
version line (key `tofu`, `@module` "tofu.ui"), written by hand.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CONFIG = """\
variable "fail" {
  type    = bool
  default = false
}

resource "terraform_data" "first" {
  input = "hello"
}

resource "terraform_data" "slow" {
  input = terraform_data.first.output
  provisioner "local-exec" {
    command = var.fail ? "echo boom >&2; exit 3" : "sleep 11"
  }
}

data "terraform_remote_state" "other" {
  backend  = "local"
  config   = { path = "${path.module}/other.tfstate" }
  defaults = { x = 1 }
}

output "greeting" {
  value = terraform_data.first.output
}

output "secret" {
  value     = "s3cr3t"
  sensitive = true
}
"""

OTHER_STATE = (
    '{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"x","outputs":{},'
    '"resources":[]}\n'
)


def run(name: str, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    proc = subprocess.run(["terraform", *argv], cwd=cwd, env=env, capture_output=True, text=True)
    (HERE / f"{name}.jsonl").write_text(proc.stdout)
    (HERE / f"{name}.stderr").write_text(proc.stderr)
    (HERE / f"{name}.rc").write_text(f"{proc.returncode}\n")
    print(f"{name}: rc={proc.returncode}, {len(proc.stdout.splitlines())} lines")


def interrupted_apply(cwd: Path, env: dict[str, str]) -> None:
    """Apply a plan whose provisioner sleeps; SIGINT once after the first progress line."""
    subprocess.run(
        ["terraform", "destroy", "-auto-approve"], cwd=cwd, env=env, check=True, capture_output=True
    )
    subprocess.run(
        ["terraform", "plan", "-input=false", "-out=tfplan"],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        ["terraform", "apply", "-input=false", "-json", "tfplan"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if '"type":"provision_start"' in line:
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
    err = proc.stderr.read() if proc.stderr else ""
    rc = proc.wait()
    (HERE / "apply_interrupted.jsonl").write_text("".join(lines))
    (HERE / "apply_interrupted.stderr").write_text(err)
    (HERE / "apply_interrupted.rc").write_text(f"{rc}\n")
    print(f"apply_interrupted: rc={rc}, {len(lines)} lines")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "main.tf").write_text(CONFIG)
        (work / "other.tfstate").write_text(OTHER_STATE)
        env = dict(os.environ, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
        quiet = dict(env, TF_CLI_CONFIG_FILE=os.devnull)
        missing_cfg = dict(env, TF_CLI_CONFIG_FILE=str(work / "no-such-terraformrc"))
        subprocess.run(
            ["terraform", "init", "-input=false"],
            cwd=work,
            env=quiet,
            check=True,
            capture_output=True,
        )
        plan = ["plan", "-input=false", "-json", "-detailed-exitcode"]
        # a missing CLI config file: terraform warns on stderr, in plain text, even with -json
        run("plan", [*plan, "-out=tfplan"], work, missing_cfg)
        run("apply", ["apply", "-input=false", "-json", "tfplan"], work, quiet)
        run("plan_nochanges", [*plan, "-out=tfplan2"], work, quiet)
        run(
            "plan_replace",
            [*plan, "-out=tfplan3", "-var", "fail=true", "-replace=terraform_data.slow"],
            work,
            quiet,
        )
        run("apply_failed", ["apply", "-input=false", "-json", "tfplan3"], work, quiet)
        run("destroy", ["destroy", "-input=false", "-json", "-auto-approve"], work, quiet)
        (work / "bad.tf").write_text('resource "terraform_data" "x" { input = var.nope }\n')
        run("config_error", [*plan, "-out=tfplan4"], work, quiet)
        (work / "bad.tf").unlink()
        interrupted_apply(work, quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
