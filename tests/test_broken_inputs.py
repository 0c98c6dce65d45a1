"""Every command, every broken input: one message, its own exit code, never a Python traceback
(issue 10, faults 7, 8 and 10, and the "no traceback on any exit path" rule).

Each case runs `cdwizard ARGS` in a process of its own, forked from a driver that imported the
CLI once (what a user sees, interpreter included, at a fraction of the start-up cost). A case
passes when the output has no `Traceback`, no "unexpected error" (that would be a bug caught by
the last-resort handler), and the exit code is the one the README gives for that problem.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

DRIVER = r"""
import json, os, sys
from wizard.cli import main
# what the commands import, loaded once here rather than in every forked case
import wizard.commands.answers, wizard.commands.doctor, wizard.commands.leftovers
import wizard.commands.monitor, wizard.commands.rehearse, wizard.commands.render
import wizard.commands.terraform, wizard.commands.wizard
import wizard.core.answers, wizard.services.terraform.workflow, yaml, boto3, botocore.session
import moto.server, wizard.services.sandbox.launcher
cases = json.load(open(sys.argv[1]))
results = []
for case in cases:
    out, err = case["out"], case["err"]
    pid = os.fork()
    if pid == 0:
        os.chdir(case["cwd"])
        for k, v in case.get("env", {}).items():
            os.environ[k] = v
        fd_out = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        fd_err = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        fd_in = os.open(os.devnull, os.O_RDONLY)
        os.dup2(fd_in, 0); os.dup2(fd_out, 1); os.dup2(fd_err, 2)
        if case.get("bug"):
            import wizard.commands.render as target
            def broken(args):
                raise RuntimeError("a bug")
            target.run = broken
        try:
            code = main(case["argv"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 99
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    results.append(os.waitstatus_to_exitcode(status))
print(json.dumps(results))
"""

BOMB = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
)

#: name -> answers file content (bytes), or a special kind of path
BAD_ANSWERS: dict[str, bytes | str] = {
    "missing": "missing",
    "folder": "folder",
    "fifo": "fifo",
    "device": "device",
    "empty": b"",
    "null": b"null\n",
    "a list": b"- 1\n- 2\n",
    "a scalar": b"hello\n",
    "binary": b"\x00\x01\x02\xff\xfe",
    "not utf-8": b"version: 1\nproject: caf\xe9\n",
    "bad syntax": b"version: 1\naws:\n\tregion: x\n",
    "two documents": b"version: 1\n---\nversion: 1\n",
    "unknown keys": b"version: 1\nregoin: eu-west-1\n",
    "wrong types": b"version: 1\ntargets: {instance_count: many, create_instance: maybe}\n",
    "future version": b"version: 99\n",
    "alias bomb": BOMB.encode(),
    "self alias": b"version: 1\ntags: &t {x: *t}\n",
    "duplicate keys": b"version: 1\nproject: a-project\nproject: b-project\n",
    "deep nesting": b"version: 1\ntags: " + b"[" * 20000 + b"]" * 20000 + b"\n",
    "2 MB": b"version: 1\n" + b"#" * (2 * 1024 * 1024) + b"\n",
}

#: every command that reads an answers file, as it is given one
COMMANDS: dict[str, list[str]] = {
    "wizard": ["--answers", "{a}"],
    "answers check": ["answers", "check", "{a}"],
    "render": ["render", "--answers", "{a}"],
    "plan": ["plan", "--answers", "{a}"],
    "apply": ["apply", "--answers", "{a}", "--yes"],
    "destroy": ["destroy", "--answers", "{a}", "--yes"],
    "leftovers": ["leftovers", "--answers", "{a}"],
    "monitor": ["monitor", "--answers", "{a}", "--plain"],
    "ship": ["ship", "--answers", "{a}", "--plain"],
    "doctor": ["doctor", "--answers", "{a}", "--plain"],
    "rehearse": ["rehearse", "--answers", "{a}", "--plain"],
}


def answers_path(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / "answers" / name.replace(" ", "-")
    path.parent.mkdir(exist_ok=True)
    if content == "missing":
        return path
    if content == "folder":
        path.mkdir()
    elif content == "fifo":
        os.mkfifo(path)
    elif content == "device":
        return Path("/dev/zero")
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    return path


def run_cases(tmp_path: Path, cases: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Run every case; (exit code, stdout + stderr) for each."""
    for i, case in enumerate(cases):
        case.setdefault("cwd", str(tmp_path))
        case["out"] = str(tmp_path / f"case{i}.out")
        case["err"] = str(tmp_path / f"case{i}.err")
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps(cases))
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1"}
    env.pop("CDWIZARD_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    codes = json.loads(proc.stdout.splitlines()[-1])
    return [
        (code, Path(case["out"]).read_text() + Path(case["err"]).read_text())
        for code, case in zip(codes, cases, strict=True)
    ]


def assert_clean(results: list[tuple[int, str]], labels: list[str], expected: Any) -> None:
    bad = []
    for label, (code, output) in zip(labels, results, strict=True):
        wanted = expected(label) if callable(expected) else expected
        if "Traceback" in output or "unexpected error" in output or code not in wanted:
            bad.append(f"{label}: exit {code}\n{output[-1500:]}")
    assert not bad, "\n\n".join(bad)


def test_every_command_refuses_every_broken_answers_file_without_a_traceback(
    tmp_path: Path,
) -> None:
    cases, labels = [], []
    for name, content in BAD_ANSWERS.items():
        path = answers_path(tmp_path, name, content)
        for command, argv in COMMANDS.items():
            cases.append({"argv": [a.replace("{a}", str(path)) for a in argv]})
            labels.append(f"{command} with {name} answers")
    results = run_cases(tmp_path, cases)
    # 3: the answers file is missing, unreadable or invalid; the wizard without a terminal
    # explains what to fix and exits 8 (it never waits for input)
    assert_clean(results, labels, lambda label: {8, 3} if label.startswith("wizard") else {3})
    by_label = dict(zip(labels, results, strict=True))
    _code, said = by_label["render with duplicate keys answers"]
    assert "project: is given twice: at line 2 and at line 3" in said
    _code, said = by_label["plan with alias bomb answers"]
    assert "expands to more than 10,000 values" in said


def test_every_command_on_a_broken_workspace_says_which_file_and_what_to_do(
    tmp_path: Path,
) -> None:
    (tmp_path / "answers.yml").write_text("version: 1\n")
    damaged = tmp_path / "damaged" / "terraform"
    damaged.mkdir(parents=True)
    (damaged / "terraform.tfstate").write_text('{"version": 4, "serial": 3, "resou')
    garbage = tmp_path / "garbage" / ".cdwizard"
    garbage.mkdir(parents=True)
    (garbage / "sandbox-state.pkl.gz").write_bytes(b"\x1f\x8b not a state")
    (garbage / "lock").write_bytes(b"\x00{garbage")
    a = ["--answers", "answers.yml"]
    cases = {
        # terraform's state cut off: stopped before terraform runs, naming the file
        "plan, damaged state": (["plan", *a, "--out", "damaged", "--plain"], 15),
        "apply, damaged state": (["apply", *a, "--out", "damaged", "--yes", "--plain"], 15),
        "destroy, damaged state": (["destroy", *a, "--out", "damaged", "--yes", "--plain"], 15),
        "leftovers, damaged state": (["leftovers", *a, "--out", "damaged", "--plain"], 15),
        # the sandbox state is not one: the emulator does not start, the message says why
        "plan, garbage sandbox": (["plan", *a, "--out", "garbage", "--sandbox", "--plain"], 4),
        "monitor, garbage sandbox": (
            ["monitor", *a, "--out", "garbage", "--sandbox", "--plain"],
            4,
        ),
        "ship, garbage sandbox": (["ship", *a, "--out", "garbage", "--sandbox", "--plain"], 4),
        "doctor, garbage sandbox": (["doctor", *a, "--out", "garbage", "--sandbox", "--plain"], 4),
        "render, garbage lock": (["render", *a, "--out", "garbage"], 0),
        "plan, no such mirror": (
            ["plan", *a, "--out", "ws", "--provider-mirror", "nowhere", "--plain"],
            2,
        ),
    }
    results = run_cases(tmp_path, [{"argv": argv} for argv, _code in cases.values()])
    assert_clean(results, list(cases), lambda label: {cases[label][1]})
    said = dict(zip(cases, (output for _code, output in results), strict=True))
    assert "damaged/terraform/terraform.tfstate is not valid JSON" in said["plan, damaged state"]
    assert (
        "cannot use the sandbox state garbage/.cdwizard/sandbox-state.pkl.gz"
        in said["monitor, garbage sandbox"]
    )


def test_a_workspace_out_under_a_file_is_one_message_for_every_command(tmp_path: Path) -> None:
    (tmp_path / "answers.yml").write_text("version: 1\n")
    (tmp_path / "afile").write_text("not a folder")
    out = ["--out", "afile/ws"]
    commands = {
        "render": ["render", "--answers", "answers.yml", *out],
        "plan": ["plan", "--answers", "answers.yml", *out, "--plain"],
        "apply": ["apply", "--answers", "answers.yml", *out, "--yes", "--plain"],
        "destroy": ["destroy", "--answers", "answers.yml", *out, "--yes", "--plain"],
        "leftovers": ["leftovers", "--answers", "answers.yml", *out, "--plain"],
        "wizard": ["--answers", "answers.yml", *out],
    }
    results = run_cases(tmp_path, [{"argv": argv} for argv in commands.values()])
    assert_clean(results, list(commands), lambda label: {8} if label == "wizard" else {15})
    for label, (_code, said) in zip(commands, results, strict=True):
        if label != "wizard":
            assert "afile/ws/.cdwizard: a part of the path is a file, not a folder" in said, said
            assert "choose another --out" in said


@pytest.mark.parametrize(
    "content",
    [
        b"[]",
        b"null",
        b'{"files": 5}',
        b'{"files": {"main.tf": {"sha256": 1}}}',
        b'{"files": {',
        b"",
    ],
    ids=["list", "null", "files-number", "no-hash", "truncated", "empty"],
)
def test_a_damaged_manifest_stops_render_and_force_converges(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / "answers.yml").write_text("version: 1\n")
    render = ["render", "--answers", "answers.yml", "--out", "ws"]
    ((code, said),) = run_cases(tmp_path, [{"argv": [*render, "--sandbox"]}])
    assert code == 0, said
    manifest = tmp_path / "ws" / ".cdwizard" / "manifest.json"
    manifest.write_bytes(content)
    before = {p: p.read_bytes() for p in (tmp_path / "ws").rglob("*") if p.is_file()}
    results = run_cases(tmp_path, [{"argv": render}, {"argv": [*render, "--force"]}])
    assert_clean(
        results, ["render", "render --force"], lambda label: {15} if label == "render" else {0}
    )
    said = results[0][1]
    assert "the render manifest ws/.cdwizard/manifest.json is damaged" in said
    assert "rm ws/.cdwizard/manifest.json" in said and "--force" in said
    # the refused render changed nothing; --force rendered the real-AWS files and named the
    # sandbox file the damaged manifest can no longer vouch for
    assert "untracked   terraform/sandbox_override.tf" in results[1][1]
    assert all(before[p] == p.read_bytes() for p in before if p != manifest)


def test_deleting_the_manifest_keeps_edits_and_names_stale_files(tmp_path: Path) -> None:
    (tmp_path / "answers.yml").write_text("version: 1\n")
    render = ["render", "--answers", "answers.yml", "--out", "ws"]
    run_cases(tmp_path, [{"argv": [*render, "--sandbox"]}])
    main_tf = tmp_path / "ws" / "terraform" / "main.tf"
    main_tf.write_text(main_tf.read_text() + "# my edit\n")
    (tmp_path / "ws" / ".cdwizard" / "manifest.json").unlink()
    ((code, said),) = run_cases(tmp_path, [{"argv": render}])
    assert code == 9, said  # the edit is kept, the new version written next to it
    assert main_tf.read_text().endswith("# my edit\n")
    assert (tmp_path / "ws" / "terraform" / "main.tf.new").is_file()
    assert "terraform/sandbox_override.tf" in said and "left over from an earlier rendering" in said


def test_a_read_only_workspace_and_one_you_may_not_write_are_one_message(tmp_path: Path) -> None:
    (tmp_path / "answers.yml").write_text("version: 1\n")
    readonly = tmp_path / "ro"
    readonly.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(readonly)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only file system here: {mounted.stderr.decode()}")
    try:
        ((code, said),) = run_cases(
            tmp_path, [{"argv": ["render", "--answers", "answers.yml", "--out", "ro/ws"]}]
        )
    finally:
        subprocess.run(["umount", "-l", str(readonly)], check=False)
    assert code == 15 and "Traceback" not in said, said
    assert "cannot use ro/ws: the file system is read-only — choose a workspace on a writable" in (
        said
    )

    # a folder nobody may write to, in a place that user can reach (pytest's base is private)
    shared = Path(tempfile.mkdtemp(prefix="cdwizard-perm-"))
    shared.chmod(0o755)
    (shared / "answers.yml").write_text("version: 1\n")
    (shared / "answers.yml").chmod(0o644)
    private = shared / "private"
    private.mkdir(mode=0o755)
    argv = [sys.executable, "-m", "wizard", "render", "--answers", str(shared / "answers.yml")]
    proc = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            *argv,
            "--out",
            str(private / "ws"),
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=shared,
        capture_output=True,
        text=True,
    )
    shutil.rmtree(shared)
    if "setpriv" in proc.stderr and proc.returncode != 15:
        pytest.skip(f"cannot run as another user here: {proc.stderr}")
    assert proc.returncode == 15 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{private / 'ws'}: permission denied — choose a workspace you may write to" in (
        proc.stderr
    )


def test_a_bug_is_one_line_and_cdwizard_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "answers.yml").write_text("version: 1\n")
    argv = ["render", "--answers", "answers.yml"]
    quiet, debug = run_cases(
        tmp_path,
        [{"argv": argv, "bug": True}, {"argv": argv, "bug": True, "env": {"CDWIZARD_DEBUG": "1"}}],
    )
    assert quiet[0] == 1 and "Traceback" not in quiet[1]
    assert "unexpected error (RuntimeError: a bug)" in quiet[1] and "CDWIZARD_DEBUG=1" in quiet[1]
    assert "Traceback" in debug[1] and "RuntimeError: a bug" in debug[1]
