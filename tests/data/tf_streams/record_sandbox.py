"""Re-record the full-stack streams (`sandbox_*`) with the real provider against the sandbox.

    CDWIZARD_PROVIDER_MIRROR=/path/to/mirror python tests/data/tf_streams/record_sandbox.py

Renders the default answers (and variants) with the modules of this checkout, then records:
`sandbox_plan.jsonl` / `sandbox_apply.jsonl` (the `-json` streams of the default stack),
`sandbox_plan.json` (its `show -json`, reduced to `resource_changes`), `sandbox_replace.json`
(the plan after renaming the pipeline and the bucket), `sandbox_destroy.json` (the destroy plan).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from wizard.core.answers import validate_mapping  # noqa: E402
from wizard.core.render import render, write_workspace  # noqa: E402
from wizard.services.sandbox import sandbox_render_context  # noqa: E402
from wizard.services.sandbox.launcher import Sandbox  # noqa: E402
from wizard.services.terraform import commands  # noqa: E402
from wizard.services.terraform.binary import find_terraform  # noqa: E402
from wizard.services.terraform.cliconfig import write_cli_config  # noqa: E402
from wizard.services.terraform.runner import TerraformRunner, terraform_env  # noqa: E402


async def record(runner: TerraformRunner, argv: list[str], name: str) -> None:
    code, out, _ = await runner.capture(argv)
    (HERE / f"{name}.jsonl").write_text(out)
    print(f"{name}: rc={code}, {len(out.splitlines())} lines")


async def plan_json(runner: TerraformRunner, plan: str, name: str) -> None:
    doc = await runner.show_plan(plan)
    keep = {k: doc[k] for k in ("format_version", "terraform_version", "resource_changes")}
    (HERE / f"{name}.json").write_text(json.dumps(keep, indent=1, sort_keys=True) + "\n")
    print(f"{name}.json: {len(doc.get('resource_changes', []))} resource changes")


def main() -> int:
    mirror = Path(os.environ["CDWIZARD_PROVIDER_MIRROR"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        cfg = write_cli_config(out / "terraformrc", mirror)
        with Sandbox() as box:
            box.ensure_repository("devops-python-service")
            answers = validate_mapping({"version": 1})
            write_workspace(render(answers, sandbox=sandbox_render_context()), out)
            env = terraform_env(cli_config=cfg, extra=box.terraform_env())
            runner = TerraformRunner(out / "terraform", find_terraform(), env=env)
            tf = runner.binary.path

            async def go() -> None:
                code, _, err = await runner.capture(commands.init_argv(tf))
                assert code == 0, err
                await record(runner, commands.plan_argv(tf), "sandbox_plan")
                await plan_json(runner, commands.PLAN_FILE, "sandbox_plan")
                await record(runner, commands.apply_argv(tf), "sandbox_apply")
                renamed = validate_mapping(
                    {
                        "version": 1,
                        "pipeline": {"name": "renamed-pipeline", "artifact_bucket": "renamed-bkt"},
                    }
                )
                write_workspace(render(renamed, sandbox=sandbox_render_context()), out)
                await runner.capture(commands.plan_argv(tf))
                await plan_json(runner, commands.PLAN_FILE, "sandbox_replace")
                write_workspace(render(answers, sandbox=sandbox_render_context()), out)
                await runner.capture(commands.plan_argv(tf, destroy=True, out="d"))
                await plan_json(runner, "d", "sandbox_destroy")

            asyncio.run(go())
    return 0


if __name__ == "__main__":
    sys.exit(main())
