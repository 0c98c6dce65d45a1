"""appspec validation and `--events` ordering: the agent's rules and its exact messages."""

from __future__ import annotations

import pytest

from wizard.core.agent_log import ScriptLogTail
from wizard.services.rehearse.appspec import AppSpecError, parse_appspec
from wizard.services.rehearse.plan import EventsError, check_appspec_hooks, plan_events
from wizard.services.rehearse.rubyisms import file_join, ruby_to_i

BASE = "version: 0.0\nos: linux\n"


def error_of(text: str) -> AppSpecError:
    with pytest.raises(AppSpecError) as info:
        parse_appspec(text)
    return info.value


def test_a_minimal_appspec_parses_with_agent_defaults() -> None:
    spec = parse_appspec(
        BASE
        + "files:\n  - source: /\n    destination: /srv/app\n"
        + "hooks:\n  AfterInstall:\n    - location: ' scripts/a.sh '\n      runas: snake\n"
        + "  ApplicationStart:\n"
    )
    assert spec.version == 0.0 and spec.os == "linux"
    (script,) = spec.scripts_for("AfterInstall")
    assert (script.location, script.timeout, script.runas) == ("scripts/a.sh", 3600, "snake")
    assert "ApplicationStart" not in spec.hooks  # an empty hook is ignored, as by the agent
    assert spec.files[0].source == "/" and spec.file_exists_behavior is None


@pytest.mark.parametrize("version", ["0", "0.0", "0.00"])
def test_numeric_zero_versions_pass(version: str) -> None:
    assert parse_appspec(f"version: {version}\nos: linux\n").version == 0.0


def test_quoted_version_fails_with_the_agents_message_and_a_hint() -> None:
    exc = error_of('version: "0.0"\nos: linux\n')
    assert exc.message == (
        "The deployment failed because an invalid version value (0.0) was entered in the "
        'application specification file. Make sure your AppSpec file specifies "0.0" as the '
        "version, and then try again."
    )
    assert exc.hint and "without quotes" in exc.hint


def test_version_one_and_missing_version_fail() -> None:
    assert "invalid version value (1.0)" in error_of("version: 1.0\nos: linux\n").message
    assert "invalid version value () was" in error_of("os: linux\n").message
    assert "invalid version value (true)" in error_of("version: true\nos: linux\n").message


def test_os_ubuntu_fails_with_the_agents_message() -> None:
    exc = error_of("version: 0.0\nos: ubuntu\n")
    assert exc.message == (
        "The deployment failed because the application specification file specifies an "
        'unsupported operating system (ubuntu). Specify either "linux" or "windows" in the os '
        "section of the AppSpec file, and then try again."
    )


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    assert error_of(text).message == (
        "The deployment failed because the application specification file was empty. Make sure "
        "your AppSpec file defines at minimum the 'version' and 'os' properties."
    )


@pytest.mark.parametrize("timeout", ["0", "-5", "abc", "true"])
def test_timeout_must_be_positive(timeout: str) -> None:
    exc = error_of(
        BASE + f"hooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: {timeout}\n"
    )
    assert exc.message == (
        "The deployment failed because an invalid timeout value was provided for a script in the "
        "application specification file. Make corrections in the hooks section of the AppSpec "
        "file, and then try again."
    )


def test_timeout_is_read_like_ruby_to_i_and_has_no_maximum() -> None:
    spec = parse_appspec(
        BASE + "hooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: '30s'\n"
        "    - location: b.sh\n      timeout: 99999\n    - location: c.sh\n      timeout: 2.9\n"
    )
    assert [s.timeout for s in spec.scripts_for("AfterInstall")] == [30, 99999, 2]


@pytest.mark.parametrize(
    "script", ["- timeout: 10", "- location:", "- location: '   '", "- runas: snake"]
)
def test_missing_location(script: str) -> None:
    exc = error_of(BASE + f"hooks:\n  AfterInstall:\n    {script}\n")
    assert exc.message == (
        "The deployment failed because the application specification file specifies a script "
        "with no location value. Specify the location in the hooks section of the AppSpec file, "
        "and then try again."
    )


def test_a_script_written_as_a_bare_string_gets_a_clear_message() -> None:
    exc = error_of(BASE + "hooks:\n  AfterInstall:\n    - scripts/a.sh\n")
    assert "must be a mapping with a location" in exc.message
    assert exc.hint == "write `- location: scripts/a.sh` under AfterInstall"


def test_bad_file_exists_behavior() -> None:
    exc = error_of(BASE + "file_exists_behavior: overwrite\n")
    assert exc.message == (
        "The deployment failed because an invalid file_exists_behavior value (overwrite) was "
        "entered in the application specification file. Make sure your AppSpec file specifies "
        "one of DISALLOW,OVERWRITE,RETAIN as the file_exists_behavior, and then try again."
    )
    assert exc.hint == "the value is case-sensitive: write OVERWRITE"


def test_files_need_source_and_destination() -> None:
    assert "specifies a destination file, but no source file" in (
        error_of(BASE + "files:\n  - destination: /srv/app\n").message
    )
    assert error_of(BASE + "files:\n  - source: s/ok.sh\n").message == (
        "The deployment failed because the application specification file specifies only a "
        "source file (s/ok.sh). Add the name of the destination file to the files section of "
        "the AppSpec file, and then try again."
    )


def test_mode_0750_yaml_trap_is_the_agents_message_plus_an_explanation() -> None:
    exc = error_of(BASE + "permissions:\n  - object: /srv/app\n    mode: 0750\n")
    assert exc.message == (
        "The deployment failed because the permissions mode (488) in the application "
        "specification file contains an invalid character (8). Update the permissions section "
        "of the AppSpec file, and then try again."
    )
    assert exc.hint is not None and "octal" in exc.hint and "mode: 750" in exc.hint


def test_mode_0644_silently_changes_meaning_so_we_warn() -> None:
    spec = parse_appspec(BASE + "permissions:\n  - object: /srv/app\n    mode: 0644\n")
    assert spec.permissions[0].mode == "420"  # what the agent applies
    assert len(spec.warnings) == 1 and "mode 420, not 0644" in spec.warnings[0]


def test_permission_modes_are_padded_and_checked() -> None:
    spec = parse_appspec(
        BASE + "permissions:\n  - object: /a\n    mode: 7\n  - object: /b\n    mode: '0750'\n"
    )
    assert [p.mode for p in spec.permissions] == ["007", "0750"]
    assert (
        "length of a permissions mode (12345)"
        in error_of(BASE + "permissions:\n  - object: /a\n    mode: 12345\n").message
    )


def test_permission_object_and_type_checks() -> None:
    assert "has no object value" in error_of(BASE + "permissions:\n  - mode: 750\n").message
    exc = error_of(BASE + "permissions:\n  - object: /a\n    type: [socket]\n")
    assert "filespecifies a permission for an object type not supported" in exc.message
    assert "(socket)" in exc.message


def test_yaml_syntax_errors_are_reported_with_position() -> None:
    exc = error_of("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n  - location: [a\n")
    assert exc.message.startswith("(<unknown>): ") and " at line " in exc.message


def test_unknown_hook_names_fail_with_codedeploy_locals_message_and_a_suggestion() -> None:
    spec = parse_appspec(BASE + "hooks:\n  afterinstall:\n    - location: a.sh\n")
    problem = check_appspec_hooks(spec, plan_events(None))
    assert problem is not None
    assert problem[0] == 'appspec.yml file contains unknown lifecycle events: ["afterinstall"]'
    assert problem[1] is not None and "afterinstall -> AfterInstall" in problem[1]


def test_traffic_hooks_are_known_even_when_not_run() -> None:
    spec = parse_appspec(BASE + "hooks:\n  BeforeAllowTraffic:\n    - location: a.sh\n")
    assert check_appspec_hooks(spec, plan_events(None)) is None


def test_a_custom_event_must_exist_in_the_appspec() -> None:
    spec = parse_appspec(BASE + "hooks:\n  MyCustom:\n    - location: a.sh\n")
    assert check_appspec_hooks(spec, plan_events(["MyCustom"])) is None
    plain = parse_appspec(BASE + "hooks:\n  AfterInstall:\n    - location: a.sh\n")
    problem = check_appspec_hooks(plain, plan_events(["NotThere"]))
    assert problem is not None and problem[0] == (
        "You specified a lifecycle event which is not a default one and doesn't exist in your "
        "appspec.yml file: NotThere"
    )


# --- --events ------------------------------------------------------------------------------


def test_default_plan_is_the_in_place_order() -> None:
    assert plan_events(None) == (
        "ApplicationStop",
        "DownloadBundle",
        "BeforeInstall",
        "Install",
        "AfterInstall",
        "ApplicationStart",
        "ValidateService",
    )
    assert plan_events(None, traffic=True)[:3] == (
        "BeforeBlockTraffic",
        "AfterBlockTraffic",
        "ApplicationStop",
    )


def test_download_bundle_and_install_are_prepended() -> None:
    assert plan_events(["ApplicationStart"]) == ("DownloadBundle", "Install", "ApplicationStart")
    assert plan_events(["ApplicationStop", "DownloadBundle", "Install", "ApplicationStart"]) == (
        "ApplicationStop",
        "DownloadBundle",
        "Install",
        "ApplicationStart",
    )


@pytest.mark.parametrize(
    ("events", "before"),
    [
        (["ApplicationStart", "DownloadBundle"], "DownloadBundle"),
        (["Install", "DownloadBundle"], "DownloadBundle"),
        (["DownloadBundle", "ValidateService", "Install"], "Install"),
    ],
)
def test_event_order_errors(events: list[str], before: str) -> None:
    with pytest.raises(EventsError) as info:
        plan_events(events)
    raw = ",".join(events)
    if before == "DownloadBundle":
        expected = (
            "The only events that can be specified before DownloadBundle are "
            f"BeforeBlockTraffic,AfterBlockTraffic,ApplicationStop. Please fix the order of your "
            f"specified events: {raw}"
        )
    else:
        expected = (
            "The only events that can be specified before Install are BeforeBlockTraffic,"
            "AfterBlockTraffic,ApplicationStop,DownloadBundle,BeforeInstall. Please fix the order "
            f"of your specified events: {raw}"
        )
    assert str(info.value) == expected


# --- Ruby behaviours the messages depend on -------------------------------------------------


def test_ruby_helpers() -> None:
    assert file_join("/a/archive", "/scripts/x.sh") == "/a/archive/scripts/x.sh"
    assert file_join("/a/archive", "/") == "/a/archive/"
    assert [ruby_to_i(v) for v in ("30s", "abc", " 12", "1_000", 7.9)] == [30, 0, 12, 1000, 7]


def test_log_tail_keeps_the_newest_whole_entries_within_2_kb() -> None:
    tail = ScriptLogTail()
    tail.append("LifecycleEvent - Fail\n")
    tail.append("Script - s/fail.sh\n")
    for i in range(200):
        tail.append(f"[stdout]line {i:03d} " + "x" * 40 + "\n")  # 58 characters
    text = tail.text()
    # the agent's run: the last 35 lines (2030 characters), headers dropped
    assert len(tail.entries) == 35 and len(text) == 2030
    assert text.startswith("[stdout]line 165 ")
