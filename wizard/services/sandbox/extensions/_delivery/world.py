"""Where the simulation's state lives: moto's backends for one account and region.

`World(account, region)` gives the backends a request needs. One process-wide lock serialises
the simulation (moto's server is threaded; a request advances the clock-driven state and then
reads it, and two requests must not advance it at the same time). The lock is never stored in
the state, so the state stays picklable.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

LOCK = threading.RLock()

_SWITCH = {"enabled": True}


def enabled() -> bool:
    """Whether the delivery simulation answers (else every patched API behaves as plain moto)."""
    return _SWITCH["enabled"]


def set_enabled(value: bool) -> None:
    _SWITCH["enabled"] = bool(value)


@dataclass(frozen=True)
class World:
    account: str
    region: str

    @property
    def partition(self) -> str:
        from moto.utilities.utils import get_partition

        return str(get_partition(self.region))

    @property
    def codepipeline(self) -> Any:
        from moto.codepipeline.models import codepipeline_backends

        return codepipeline_backends[self.account][self.region]

    @property
    def codedeploy(self) -> Any:
        from moto.codedeploy.models import codedeploy_backends

        return codedeploy_backends[self.account][self.region]

    @property
    def codecommit(self) -> Any:
        from moto.codecommit.models import codecommit_backends

        return codecommit_backends[self.account][self.region]

    @property
    def ec2(self) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[self.account][self.region]

    @property
    def s3(self) -> Any:
        from moto.s3.models import s3_backends

        return s3_backends[self.account][self.partition]

    @property
    def elbv2(self) -> Any:
        from moto.elbv2.models import elbv2_backends

        return elbv2_backends[self.account][self.region]

    @property
    def events(self) -> Any:
        from moto.events.models import events_backends

        return events_backends[self.account][self.region]


def world_of(response: Any) -> World:
    """The account and region a moto response handler is serving."""
    return World(str(response.current_account), str(response.region))
