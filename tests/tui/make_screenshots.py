"""Write the README screenshots (SVG) by driving the real app.

Run: `python -m tests.tui.make_screenshots` (from the repository root); `--monitor` writes only
the monitor screen's shots, `--traffic` only the one behind a load balancer, `--approval` only
the waiting approval, `--source` only the Source step's two (errors, GitHub chosen),
`--environments` only the Environments step's.

Discovery runs against a moto server started here on 127.0.0.1 (the same emulator the tests use),
seeded with a few instances so the live tag count has something to show.
Output: tests/tui/screenshots/ (the README shows them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.keys import keys_for
from tests.tui.waiting import wait_for
from wizard.app.adapters import AwsDiscovery, explain_text
from wizard.app.ports import WizardServices
from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.services.aws.target import ENDPOINT_ENV
from wizard.tui.app import WizardApp
from wizard.tui.widgets.lookup import LookupStatus

REPO = Path(__file__).resolve().parents[2]
DEST = Path(__file__).resolve().parent / "screenshots"
SIZE = (120, 36)
ORDER = ["welcome", "aws", "source", "targets", "deployment", "payload"]


def saved_until(out: Path, step: str) -> None:
    done = ORDER[: ORDER.index(step)] if step in ORDER else ORDER
    (out / ".cdwizard").mkdir(parents=True, exist_ok=True)
    (out / "answers.yml").write_text("version: 1\nproject: shop\n", encoding="utf-8")
    (out / ".cdwizard" / "wizard.json").write_text(json.dumps({"completed": done}))


def settled(pilot: Pilot) -> Callable[[], bool]:
    return lambda: all(
        s.state not in ("idle", "loading") for s in pilot.app.screen.query(LookupStatus)
    )


async def shoot(
    name: str,
    step: str | None,
    services: WizardServices,
    steer: Callable[[Pilot], Awaitable[None]],
    *,
    answers: str | None = None,
) -> None:
    out = Path("cdwizard-out")
    if step is not None:
        saved_until(out, step)
    if answers is not None:
        (out / "answers.yml").write_text(answers, encoding="utf-8")
    app = WizardApp(out=out, services=services, resume=step is not None)
    async with app.run_test(size=SIZE) as pilot:
        await steer(pilot)
        await pilot.pause()
        app.save_screenshot(f"{name}.svg", path=str(DEST))
    print(f"wrote {DEST / name}.svg")


async def shoot_source_github(services: WizardServices, target: AwsTarget) -> None:
    """The Source step with GitHub chosen: its own fields, and the account's GitHub connections
    to pick from (one authorised, one still PENDING)."""
    from wizard.services.sandbox.console import authorize_connection

    client = AwsClients(target).client("codestar-connections")
    made = client.create_connection(ConnectionName="team-github", ProviderType="GitHub")
    authorize_connection(target, made["ConnectionArn"])
    client.create_connection(ConnectionName="shop-github", ProviderType="GitHub")
    answers = (
        "version: 1\nproject: shop\nsource:\n  provider: github\n"
        "  repository_id: my-org/shop\n  branch: main\n"
    )

    async def steer(pilot: Pilot) -> None:
        await wait_for(pilot, settled(pilot), what="lookups")

    await shoot("source-github", "source", services, steer, answers=answers)


#: staging on the seeded instances, production behind an approval, e-mail notifications
ENVIRONMENTS = """version: 1
project: shop
environments:
  - name: staging
    tag_value: shop
  - name: production
    approval: true
    approval_url: https://staging.example.com
notifications:
  emails: [ops@example.com]
"""


def seed(target: AwsTarget) -> None:
    ec2 = AwsClients(target).client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(
        ImageId=image,
        MinCount=3,
        MaxCount=3,
        InstanceType="t3.micro",
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "shop"}]}
        ],
    )
    AwsClients(target).client("codedeploy").create_application(applicationName="shop")


async def main() -> None:
    from moto.server import ThreadedMotoServer

    from wizard.services.sandbox.extensions import install_all

    install_all()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    target = AwsTarget(
        region="eu-west-1",
        endpoint_url=f"http://{host}:{port}",
        access_key_id="testing",
        secret_access_key="testing",
    )
    seed(target)
    os.environ[ENDPOINT_ENV] = target.endpoint_url or ""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    services = WizardServices(
        discovery=AwsDiscovery(Path("cdwizard-out")),
        explain=explain_text,
        refresh_seconds=3600,
        debounce_seconds=0.05,
        target_label="sandbox",
    )
    DEST.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)

            async def welcome(pilot: Pilot) -> None:
                await wait_for(
                    pilot,
                    lambda: getattr(pilot.app.screen, "STEP", "") == "welcome",
                    what="welcome",
                )

            async def targets(pilot: Pilot) -> None:
                await wait_for(pilot, settled(pilot), what="lookups")
                await pilot.press("tab", "f1")
                await wait_for(pilot, settled(pilot), what="lookups")

            async def source_errors(pilot: Pilot) -> None:
                await wait_for(pilot, settled(pilot), what="lookups")
                await pilot.press("tab", "ctrl+a", "ctrl+k", *keys_for("shop.git"))
                await pilot.press("tab", "ctrl+a", "ctrl+k", *keys_for("feature..x"), "ctrl+n")

            async def deployment(pilot: Pilot) -> None:
                await wait_for(pilot, settled(pilot), what="lookups")

            async def review_files(pilot: Pilot) -> None:
                await wait_for(
                    pilot,
                    lambda: bool(getattr(pilot.app.screen, "files", None)),
                    what="rendered files",
                )
                await pilot.press("right")
                await pilot.pause(0.2)

            if "--source" in sys.argv:
                await shoot("source-errors", "source", services, source_errors)
                await shoot_source_github(services, target)
                return
            if "--environments" in sys.argv:
                await shoot("environments", "payload", services, deployment, answers=ENVIRONMENTS)
                return
            await shoot("welcome", None, services, welcome)
            await shoot_source_github(services, target)
            await shoot("source-errors", "source", services, source_errors)
            await shoot("targets-live-count", "targets", services, targets)
            await shoot("deployment-explained", "deployment", services, deployment)
            await shoot("environments", "payload", services, deployment, answers=ENVIRONMENTS)
            await shoot("review-files", "review", services, review_files)
    finally:
        server.stop()
    if "--source" in sys.argv or "--environments" in sys.argv:
        return
    await shoot_monitor()
    if shutil.which("terraform") and os.environ.get("CDWIZARD_PROVIDER_MIRROR"):
        # a fresh process: moto's backends are process-wide, and the sandbox sets them up itself
        subprocess.run(
            [sys.executable, "-m", "tests.tui.make_screenshots", "--apply"], cwd=REPO, check=True
        )
    else:
        print("skipped the apply screenshots: needs terraform and CDWIZARD_PROVIDER_MIRROR")


async def shoot_apply() -> None:
    """Review with a real plan and the finished apply, against the embedded sandbox."""
    from wizard.commands.wizard import build_services
    from wizard.tui.screens.apply import ApplyScreen

    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        out = Path("cdwizard-sandbox")
        saved_until(out, "review")
        (out / "answers.yml").write_text("version: 1\nproject: demo\n", encoding="utf-8")
        args = argparse.Namespace(
            out=out, sandbox=True, provider_mirror=None, answers=None, command=None
        )
        services = build_services(args)
        app = WizardApp(out=out, services=services, resume=True)
        try:
            async with app.run_test(size=SIZE) as pilot:
                plan = pilot.app.screen.query_one("#status-plan", LookupStatus)
                await wait_for(pilot, lambda: plan.state != "loading", what="plan", timeout=600)
                await pilot.pause(0.3)
                app.save_screenshot("review-plan.svg", path=str(DEST))
                print(f"wrote {DEST / 'review-plan'}.svg")
                await pilot.press("y")
                await wait_for(pilot, lambda: isinstance(app.screen, ApplyScreen), what="apply")
                screen = app.screen
                assert isinstance(screen, ApplyScreen)
                await wait_for(
                    pilot, lambda: screen.finished is not None, what="apply", timeout=900
                )
                # the wizard lands on the live monitor; Esc goes back to the apply summary
                await wait_for(pilot, lambda: app.screen is not screen, what="the monitor")
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen, what="the apply summary")
                await pilot.pause(0.3)
                app.save_screenshot("apply-done.svg", path=str(DEST))
                print(f"wrote {DEST / 'apply-done'}.svg")
        finally:
            sandbox = services.extra.get("sandbox")
            if sandbox is not None:
                sandbox.stop()


async def frozen(name: str, frames: list[Any], size: tuple[int, int] = SIZE) -> None:
    """`name`.svg: the monitor screen after `frames` (snapshots as the poller posts them, their
    events diffed), on a frozen clock."""
    from tests.tui.monitor_frames import QuietFeed, frozen_clock, update
    from wizard.core.timeline import diff
    from wizard.tui.monitor_app import MonitorApp
    from wizard.tui.screens.monitor import MonitorScreen, SnapshotArrived

    DEST.mkdir(parents=True, exist_ok=True)
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="screen")
        previous = None
        for snap in frames:
            app.screen.post_message(SnapshotArrived(update(snap, *diff(previous, snap))))
            previous = snap
        await wait_for(pilot, lambda: app.screen.updates == len(frames), what="snapshots")
        await pilot.pause(0.2)
        app.save_screenshot(f"{name}.svg", path=str(DEST))
    print(f"wrote {DEST / name}.svg")


async def shoot_traffic() -> None:
    """A deployment behind a load balancer: the first instance leaving the target group."""
    from tests.tui.monitor_frames import FLEET
    from tests.tui.test_monitor_traffic import frame, traffic, traffic_row

    a, b, c = FLEET
    healthy = [(t, "healthy", None, None) for t in FLEET]
    draining = (
        a,
        "draining",
        "Target.DeregistrationInProgress",
        "Target deregistration is in progress",
    )
    await frozen(
        "monitor-traffic",
        [
            frame(1, [traffic_row(t, 0) for t in FLEET], traffic(*healthy)),
            frame(
                2,
                [traffic_row(a, 1, running="BlockTraffic"), traffic_row(b, 0), traffic_row(c, 0)],
                traffic(draining, *healthy[1:]),
            ),
        ],
        size=(140, 40),  # room for the nine traffic columns
    )


async def shoot_approval() -> None:
    """Environments: staging deployed, production's manual approval waits (v / x answer it)."""
    from tests.tui.monitor_frames import approval_snapshot

    await frozen("monitor-approval", [approval_snapshot()])


async def shoot_monitor() -> None:
    """The live monitor: a deployment running, one that failed and one behind a load balancer
    (frozen snapshots on a frozen clock, as the poller posts them), and a real local rehearsal
    whose hook fails."""
    from tests.test_rehearse_support import write_bundle
    from tests.tui.monitor_frames import failed_snapshot, running_snapshot
    from wizard.commands.rehearse import watch_app
    from wizard.services.rehearse import Rehearsal, RehearsalOptions

    DEST.mkdir(parents=True, exist_ok=True)
    await frozen("monitor-running", [running_snapshot()])
    await frozen("monitor-failure", [running_snapshot(1), failed_snapshot(2)])
    await shoot_traffic()
    await shoot_approval()
    appspec = (
        "version: 0.0\nos: linux\nhooks:\n"
        "  AfterInstall:\n    - location: scripts/after_install.sh\n"
    )
    script = (
        "#!/bin/sh\necho 'installing the service requirements'\n"
        "echo 'ERROR: No matching distribution found for fastapi==99' >&2\nexit 1\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        bundle = write_bundle(Path(tmp) / "payload", appspec, {"scripts/after_install.sh": script})
        app = watch_app(Rehearsal(RehearsalOptions(bundle=bundle, root=Path(tmp) / "root")))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, app.feed.ended.is_set, what="the rehearsal")
            await wait_for(
                pilot, lambda: getattr(app.screen, "report", None) is not None, what="failure"
            )
            await pilot.pause(0.2)
            app.save_screenshot("monitor-rehearsal.svg", path=str(DEST))
        print(f"wrote {DEST / 'monitor-rehearsal'}.svg")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    if "--apply" in sys.argv:
        asyncio.run(shoot_apply())
    elif "--traffic" in sys.argv:
        asyncio.run(shoot_traffic())
    elif "--approval" in sys.argv:
        asyncio.run(shoot_approval())
    elif "--monitor" in sys.argv:
        asyncio.run(shoot_monitor())
    else:
        asyncio.run(main())
