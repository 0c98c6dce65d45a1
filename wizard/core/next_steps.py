"""What to do after a failure, as data, and the words for it.

Services diagnose a failure into a `cause` (a stable code) and `NextStep`s (what to do, with the
exact command, folder, variable or answers key it involves); they never word them. The events
carry that data (NDJSON shows it as is, with the words beside it); `cause_text` and `step_text`
are the one vocabulary plain output uses, and the TUI words the few steps it does differently
(a key instead of a command) itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Why a terraform command failed (stable codes: NDJSON consumers may switch on them).
Cause = Literal[
    "registry_unreachable",  # no network (or proxy) to the provider registry
    "mirror_unreachable",  # a network_mirror in the CLI config cannot be reached
    "provider_not_in_mirror",  # a filesystem mirror lacks the provider (or that version)
    "state_locked",  # another run holds the state lock
    "stale_plan",  # the state changed since the plan was made
    "aws_credentials",  # AWS did not accept (or found no) credentials
    "permission",  # the credentials may not do this
    "already_exists",  # a name the answers choose is taken outside this workspace
    "terraform_error",  # anything else: terraform's own words say what
]

#: What a step asks the user to do (stable codes, like `Cause`).
Action = Literal[
    "use_provider_mirror",  # rerun with --provider-mirror (`path`: a folder known to hold it)
    "make_provider_mirror",  # `terraform providers mirror DIR` on a machine with internet
    "update_provider_mirror",  # the mirror cdwizard was given lacks the provider version
    "fix_cli_config",  # the terraform CLI config (`path`) sends installs to `detail`
    "check_network",  # restore the network or proxy to `detail` (`env`: the proxy variable)
    "force_unlock",  # `command` releases the lock `detail` (only when no other run is active)
    "replan",  # plan again (`command`), then apply
    "check_credentials",  # refresh the AWS credentials (`command`: e.g. aws sso login)
    "configure_profile",  # the profile `detail` (answers `key`) is not in the AWS config
    "grant_permission",  # ask for the permission `detail`
    "rename_existing",  # `detail` exists already: another name for answers key `key`
    "fix_and_rerun",  # fix what terraform says, then `command`
    "resume_apply",  # fix it, then `command`: terraform keeps what exists and does the rest
    "resume",  # `command` finishes an interrupted run from where it stopped
    "destroy",  # `command` removes what was created
    "delete_by_hand",  # delete what is listed as still existing
]


@dataclass(frozen=True, kw_only=True)
class NextStep:
    """One thing the user can do next. Which fields matter depends on `action`."""

    action: Action
    #: an exact command to run
    command: str | None = None
    #: the folder or file it is about
    path: str | None = None
    #: an environment variable involved (one that does the same as an option, or a proxy)
    env: str | None = None
    #: what it is about: a provider, a mirror, a lock id, a name, a permission
    detail: str | None = None
    #: the answers key it is about
    key: str | None = None


_CAUSES: dict[str, str] = {
    "registry_unreachable": "terraform cannot reach the provider registry",
    "mirror_unreachable": "the provider mirror in terraform's CLI configuration cannot be reached",
    "provider_not_in_mirror": "the provider mirror does not hold the provider terraform needs",
    "state_locked": "another terraform run holds the state lock",
    "stale_plan": "the state changed after the plan was made",
    "aws_credentials": "AWS did not accept the credentials",
    "permission": "the AWS credentials lack a permission",
    "already_exists": "a resource with that name already exists",
    "terraform_error": "terraform reported an error",
}


def cause_text(cause: str) -> str:
    """A short clause for a cause code ("terraform cannot reach the provider registry")."""
    return _CAUSES.get(cause, cause.replace("_", " "))


def step_text(step: NextStep) -> str:
    """The step in words, with its command in backticks (plain output, NDJSON's `text`)."""
    cmd = f"`{step.command}`" if step.command else ""
    action = step.action
    if action == "use_provider_mirror":
        if step.path:
            where = f" ({step.detail})" if step.detail else ""
            return f"{step.path}{where} already holds the provider: use it as the mirror: {cmd}"
        env = f" (or set {step.env}=DIR)" if step.env else ""
        return f"no network to the provider registry? give cdwizard a provider mirror: {cmd}{env}"
    if action == "make_provider_mirror":
        return f"make a mirror on a machine with internet: {cmd}, then copy DIR to this machine"
    if action == "update_provider_mirror":
        return (
            f"the mirror {step.path} lacks a {step.detail or 'provider'} version this "
            f"configuration accepts: refresh it on a machine with internet with {cmd}"
        )
    if action == "fix_cli_config":
        return (
            f"terraform's CLI configuration {step.path} sends provider installs to "
            f"{step.detail} (its provider_installation block): make that hold the provider and "
            "be reachable, or change the block (with --provider-mirror, cdwizard's runs use a "
            "configuration of their own instead)"
        )
    if action == "check_network":
        proxy = f"; {step.env} is set to a proxy that refused the connection" if step.env else ""
        return f"or restore the network to {step.detail or 'the registry'}{proxy}"
    if action == "force_unlock":
        return f"if terraform reports a state lock and no other run is active, release it: {cmd}"
    if action == "replan":
        return f"plan again and review what changed: {cmd}"
    if action == "check_credentials":
        how = f" ({cmd})" if cmd else " (aws configure, aws sso login, AWS_PROFILE)"
        return f"refresh the AWS credentials{how}, then run again"
    if action == "configure_profile":
        return (
            f"the AWS profile '{step.detail}' is not in your AWS configuration: create it "
            f"({cmd} or `aws configure sso`) or set {step.key} to a profile you have"
        )
    if action == "grant_permission":
        what = f" {step.detail}" if step.detail else " what terraform names"
        return f"ask for the permission{what} (or use a role that has it), then run again"
    if action == "rename_existing":
        return (
            f"'{step.detail}' exists outside this workspace: choose another name for "
            f"{step.key}, or delete the existing one, then run again"
        )
    if action == "fix_and_rerun":
        return f"fix the cause (an answer, a quota or a permission), then {cmd}"
    if action == "resume_apply":
        return (
            f"fix the cause (an answer, a quota or a permission), then {cmd}: terraform keeps "
            "what was created and does the rest"
        )
    if action == "resume":
        return f"{cmd} finishes the job from where it stopped"
    if action == "destroy":
        return f"or remove what was created: {cmd}"
    if action == "delete_by_hand":
        return "or delete what is listed as still existing by hand"
    return f"{action.replace('_', ' ')} {cmd}".strip()
