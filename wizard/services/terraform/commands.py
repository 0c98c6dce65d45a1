"""Terraform command lines, built by python-terraform 0.10.1 -- the only module that imports it.

python-terraform (2019, last release) predates Terraform 0.15 and is broken on today's versions in
known ways. We use what still works -- its flag conventions (`generate_cmd_string`: `IsFlagged`
-> `-flag`, `False` -> `-flag=false`, lists repeat the flag) -- and work around every fault:

1. `Terraform.destroy()` always adds `-force`, removed in Terraform 0.15 ("flag provided but not
   defined: -force"). -> We never call `destroy()` nor run `terraform destroy`: a destroy is a
   reviewed `plan -destroy` saved plan, applied with `apply -json` like any other plan.
2. `cmd(..., synchronous=False)` pops `synchronous` only *after* building argv, so
   `-synchronous=false` reaches terraform and fails. -> We never pass `synchronous`; processes are
   started by `wizard.services.terraform.runner` (asyncio), not by python-terraform.
3. `Terraform(state=...)` adds `-state=` to every call, including `init`, which rejects it.
   -> We never set `state`; the state location is the backend's business.
4. The positional `dir_or_plan` directory argument was removed in 0.15 ("Too many command line
   arguments"). -> The working directory is the subprocess `cwd`; the only positional argument we
   pass is a saved plan file to `apply` / `show`.
5. `apply()` without `skip_plan=True` sends `-auto-approve=false` and, with no TTY, fails with
   "error asking for approval: EOF" (or hangs with one). -> We apply a saved plan file, which
   never asks.
6. `cmd()` returns output only after the process exits (`communicate()`), and only as text.
   -> We stream stdout/stderr line by line with `asyncio.create_subprocess_exec`.
7. `plan()` adds `-detailed-exitcode` by default and logs exit code 2 ("changes present") as an
   error through the deprecated `log.warn`. -> We build `plan` ourselves and treat 2 as success.
8. `variables` defaults to `{}`, and any dict `var=` is written to a temp `*.tfvars.json` that
   is only removed on synchronous success paths. -> We never pass `var`; the rendered root module
   ships its own `terraform.tfvars` (and the sandbox endpoint comes from `TF_VAR_*`).
9. `init()` forces `-reconfigure` and `-backend=true`; `-reconfigure` would silently drop a
   migrated backend. -> `init_argv` passes only what we mean.
10. `Terraform.__init__` and every successful `cmd()` parse the state file; on 1.x it may pick
    `.terraform/terraform.tfstate`, which is backend metadata, not state. -> We never read its
    `tfstate` attribute; outputs come from `terraform output -json`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from python_terraform import IsFlagged, Terraform

#: How long terraform waits for a state lock held by another run before failing.
LOCK_TIMEOUT = "60s"
PLAN_FILE = "tfplan"
DESTROY_PLAN_FILE = "tfplan.destroy"


class _Terraform(Terraform):
    """python-terraform's `Terraform`, minus its state-file reading (fault 10)."""

    def read_state_file(self, file_path: str | None = None) -> None:
        # The original parses `terraform.tfstate` or `.terraform/terraform.tfstate` relative to
        # the cwd at construction time, and raises on a corrupt file; we never use the result.
        self.tfstate = None


def _tf(binary: str) -> Terraform:
    return _Terraform(working_dir=None, terraform_bin_path=binary)


def init_argv(binary: str, *, upgrade: bool = False, json: bool = False) -> list[str]:
    """`init -input=false -json` where terraform has it (1.9+), else `-no-color` human output
    (whose diagnostics `stream.human_diagnostics` reads)."""
    return _tf(binary).generate_cmd_string(
        "init",
        input=False,
        json=IsFlagged if json else None,
        no_color=None if json else IsFlagged,
        upgrade=IsFlagged if upgrade else None,
    )


def plan_argv(binary: str, *, out: str = PLAN_FILE, destroy: bool = False) -> list[str]:
    """`plan -json -out=FILE -detailed-exitcode` (exit 0: no changes, 2: changes, 1: error)."""
    return _tf(binary).generate_cmd_string(
        "plan",
        input=False,
        json=IsFlagged,
        out=out,
        detailed_exitcode=IsFlagged,
        lock_timeout=LOCK_TIMEOUT,
        destroy=IsFlagged if destroy else None,
    )


def apply_argv(binary: str, *, plan: str = PLAN_FILE) -> list[str]:
    """`apply -json FILE`: applies exactly the reviewed plan, never asks."""
    return _tf(binary).generate_cmd_string(
        "apply", plan, input=False, json=IsFlagged, lock_timeout=LOCK_TIMEOUT
    )


def output_argv(binary: str) -> list[str]:
    """`output -json`: every root output with its value (sensitive ones included: handle with
    care, never log them)."""
    return _tf(binary).generate_cmd_string("output", json=IsFlagged)


def show_plan_argv(binary: str, plan: str | Path = PLAN_FILE) -> list[str]:
    """`show -json FILE`: the full plan document (contains sensitive values in clear text)."""
    return _tf(binary).generate_cmd_string("show", str(plan), json=IsFlagged, no_color=IsFlagged)


def show_state_argv(binary: str) -> list[str]:
    """`show -json`: the current state (contains sensitive values in clear text)."""
    return _tf(binary).generate_cmd_string("show", json=IsFlagged, no_color=IsFlagged)
