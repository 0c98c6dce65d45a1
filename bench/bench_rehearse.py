"""Rehearsal overhead: a 9-hook trivial bundle vs the same scripts in a plain shell loop.

Baseline (same run): `sh -c 'for s in …; do LIFECYCLE_EVENT=… s; done'` runs the nine hook
scripts one after the other. Rehearsal: a second deployment of the same bundle with the traffic
hooks on, so all nine hooks run (ApplicationStop & co. from the first revision), plus what the
agent does around them (bundle copy into deployment-archive, Install, both logs, pointers). The
bundle is trivial: appspec.yml and the nine one-line scripts, no `files:` section. Measured
in-process (the engine, what the TUI drives) and through the CLI (adds interpreter start-up).
Goal: engine <= 1.2x.

Against the real agent (when `CDWIZARD_AGENT_DIR` names an unpacked aws-codedeploy-agent and Ruby
runs it, see `tests/agent_local.py`; skipped with the reason otherwise): the same bundles, the
nine-hook one and the agent's own `sample_app_bundle_linux`, deployed again and again into one
group by codedeploy-local's code (many deployments in one Ruby process: no start-up) and by the
rehearsal engine, both with the traffic hooks as codedeploy-local runs them; then one deployment
per process, `cdwizard rehearse` vs the agent's launcher. Ratios below 1 mean the rehearsal is
faster.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests import agent_local
from wizard.core.events.lifecycle import SCRIPTABLE_IN_ORDER
from wizard.core.output import CollectingSink
from wizard.services.rehearse import Rehearsal, RehearsalOptions

HOOKS = SCRIPTABLE_IN_ORDER
SCRIPT = '#!/bin/sh\necho "$LIFECYCLE_EVENT $DEPLOYMENT_ID"\necho "to stderr" >&2\n'
ROUNDS = 15
GOAL = 1.2  # engine / shell loop (issue 5)


def _bundle(base: Path, name: str = "bundle", *, with_hooks: bool = True) -> Path:
    """appspec.yml + nine one-line scripts; without hooks the scripts are there but never run."""
    bundle = base / name
    (bundle / "scripts").mkdir(parents=True)
    lines = ["version: 0.0", "os: linux", "hooks:" if with_hooks else "hooks: {}"]
    for hook in HOOKS:
        script = bundle / "scripts" / f"{hook}.sh"
        script.write_text(SCRIPT)
        script.chmod(0o755)
        if with_hooks:
            lines += [f"  {hook}:", f"    - location: scripts/{hook}.sh", "      timeout: 60"]
    (bundle / "appspec.yml").write_text("\n".join(lines) + "\n")
    return bundle


def _shell_loop(bundle: Path) -> float:
    loop = "; ".join(
        f"LIFECYCLE_EVENT={hook} DEPLOYMENT_ID=d-BENCH {bundle}/scripts/{hook}.sh" for hook in HOOKS
    )
    started = time.perf_counter()
    subprocess.run(["sh", "-c", loop], check=True, capture_output=True)
    return time.perf_counter() - started


def _rehearsal(bundle: Path, root: Path) -> float:
    options = RehearsalOptions(
        bundle=bundle, root=root, traffic=True, file_exists_behavior="OVERWRITE"
    )
    started = time.perf_counter()
    result = Rehearsal(options).run(CollectingSink())
    elapsed = time.perf_counter() - started
    assert result.succeeded, result
    return elapsed


def _cli(bundle: Path, root: Path) -> float:
    argv = [sys.executable, "-m", "wizard", "rehearse", str(bundle), "--root", str(root)]
    argv += ["--traffic", "--json", "--file-exists-behavior", "OVERWRITE"]
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=Path(__file__).parent.parent)
    return time.perf_counter() - started


def _against_the_agent(base: Path, bundle: Path) -> None:
    """The same bundles through codedeploy-local's own code and through the rehearsal."""
    reason = agent_local.skip_reason()
    if reason is not None:
        print(f"   real agent: skipped ({reason})")
        return
    samples = list(agent_local.sample_bundles(agent_local.agent_dir() or Path()))
    bundles = {"9 trivial hooks": bundle}
    bundles |= {s.name: s for s in samples if "custom" not in s.name}
    print(f"   vs the real agent (codedeploy-local's code), median of {ROUNDS} deployments each:")
    for label, path in bundles.items():
        agent = agent_local.LocalAgent(base / f"agent-{path.name}")
        root = base / f"mine-{path.name}" / "root"
        theirs: list[float] = []
        mine: list[float] = []
        agent.timed(path, 1)  # first revision: later ones run ApplicationStop & co.
        _rehearsal(path, root)
        for _ in range(3):  # alternating batches, so load on the machine hits both alike
            theirs += agent.timed(path, ROUNDS // 3)
            mine += [_rehearsal(path, root) for _ in range(ROUNDS // 3)]
        a, r = statistics.median(theirs) * 1000, statistics.median(mine) * 1000
        print(f"   {label:<30}agent {a:6.1f} ms   rehearsal {r:6.1f} ms   ratio {r / a:.2f}x")
    agent = agent_local.LocalAgent(base / "agent-cli")
    argv = ["ruby", str(agent_local.LAUNCHER), "deploy"]
    options = {
        "bundle-location": str(bundle),
        "agent-configuration-file": str(agent.config),
        "file-exists-behavior": "OVERWRITE",
    }
    env = {**os.environ, agent_local.ENV: str(agent_local.agent_dir()), "CDWIZARD_AGENT_QUIET": "1"}
    walls: list[float] = []
    clis: list[float] = []
    for _ in range(max(3, ROUNDS // 3)):
        started = time.perf_counter()
        subprocess.run([*argv, json.dumps(options)], check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - started)
        clis.append(_cli(bundle, base / "cli-root"))
    a, c = statistics.median(walls) * 1000, statistics.median(clis) * 1000
    print(
        f"   {'one deployment per process':<30}agent {a:6.1f} ms   cdwizard {c:6.1f} ms   ratio "
        f"{c / a:.2f}x"
    )


def _verdict(ratio: float) -> str:
    """The engine ratio against the goal, as one line."""
    if ratio <= GOAL:
        return f"goal met: engine {ratio:.2f}x <= {GOAL}x"
    return f"goal NOT met: engine {ratio:.2f}x > {GOAL}x"


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-rehearse-"))
    try:
        bundle, idle = _bundle(base), _bundle(base, "idle", with_hooks=False)
        root, idle_root = base / "root", base / "idle-root"
        _rehearsal(bundle, root)  # first deployment: gives ApplicationStop & co. a revision
        _rehearsal(idle, idle_root)
        shell, engine, fixed, cli = [], [], [], []
        for _ in range(ROUNDS):  # interleaved, so load on the machine hits all alike
            shell.append(_shell_loop(bundle))
            engine.append(_rehearsal(bundle, root))
            fixed.append(_rehearsal(idle, idle_root))
        for _ in range(max(3, ROUNDS // 3)):
            cli.append(_cli(bundle, root))
        ms = {
            k: statistics.median(v) * 1000
            for k, v in {"shell": shell, "engine": engine, "fixed": fixed, "cli": cli}.items()
        }
        # the verdict takes the median of each round's own ratio: a load spike that hits only
        # one side of one round cannot flip it
        paired = statistics.median(e / s for e, s in zip(engine, shell, strict=True))
        n = len(HOOKS)
        per_hook = (ms["engine"] - ms["fixed"]) / n
        print(f"   9 trivial hooks, median of {ROUNDS} interleaved rounds; cores: {os.cpu_count()}")
        rows = (
            ("shell loop, 9 scripts", ms["shell"], None),
            ("rehearsal engine, 9 hooks", ms["engine"], ms["engine"] / ms["shell"]),
            ("rehearsal engine, 0 hooks", ms["fixed"], None),
            ("cdwizard rehearse (CLI)", ms["cli"], ms["cli"] / ms["shell"]),
        )
        for label, value, ratio in rows:
            tail = f"   ratio {ratio:.2f}x" if ratio is not None else ""
            print(f"   {label:<30}{value:7.1f} ms{tail}")
        print(f"   {'fixed cost per deployment':<30}{ms['fixed']:7.1f} ms   (bundle copy, Install,")
        print(f"   {'':<30}{'':>10}   pointers, logs, pruning)")
        print(
            f"   {'per hook: engine vs shell':<30}{per_hook:7.2f} ms vs {ms['shell'] / n:.2f} ms"
            f"   ratio {per_hook / (ms['shell'] / n):.2f}x"
        )
        print(f"   {'engine / shell, per round':<30}{'':>10}   median ratio {paired:.2f}x")
        print(f"   {_verdict(paired)}")
        _against_the_agent(base, bundle)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
