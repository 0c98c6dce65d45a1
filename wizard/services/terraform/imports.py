"""Where each adoptable resource goes: match its import targets with the plan's creates.

A plan made without imports lists what terraform would create; each `ImportTarget` of an
adoptable resource (`wizard.services.aws.adoption`) takes the planned create of its type whose
values it matches (an instance takes any planned instance). What nothing in the plan would
create -- an inline policy cdwizard does not write, a third instance when the answers create
two -- stays as it is, unmanaged, and is reported as such.

The adopted addresses are recorded in the workspace (`.cdwizard/adopted.json`) so that destroy can
say which of the resources it removes existed before cdwizard.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.core.atomic import write_atomic
from wizard.core.render.imports import IMPORTS_FILE, render_imports
from wizard.services.aws.adoption import Classified, ImportTarget

ADOPTED_FILE = ".cdwizard/adopted.json"


@dataclass(frozen=True)
class Adoption:
    address: str
    target: ImportTarget


def planned_creates(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        change
        for change in plan.get("resource_changes") or []
        if change.get("mode") == "managed"
        and (change.get("change") or {}).get("actions") == ["create"]
    ]


def match(
    plan: Mapping[str, Any], adoptable: Iterable[Classified]
) -> tuple[list[Adoption], list[ImportTarget]]:
    """(what goes where, what the plan creates nothing for)."""
    creates = planned_creates(plan)
    claimed: set[str] = set()
    found: list[Adoption] = []
    unplaced: list[ImportTarget] = []
    for item in adoptable:
        for target in item.imports:
            address = next(
                (
                    c["address"]
                    for c in creates
                    if c["address"] not in claimed
                    and c.get("type") == target.type
                    and (
                        not target.match
                        or target.matches(
                            (c.get("change") or {}).get("after") or {},
                            (c.get("change") or {}).get("after_unknown") or {},
                        )
                    )
                ),
                None,
            )
            if address is None:
                unplaced.append(target)
                continue
            claimed.add(address)
            found.append(Adoption(address, target))
    return found, unplaced


def write_imports(workdir: Path, adoptions: Iterable[Adoption]) -> Path:
    """Write `imports.tf` (atomically)."""

    path = workdir / IMPORTS_FILE
    write_atomic(path, render_imports((a.address, a.target.id) for a in adoptions))
    return path


def remove_imports(workdir: Path) -> bool:
    """Delete `imports.tf` (import blocks are one-shot); whether there was one."""
    path = workdir / IMPORTS_FILE
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def record_adopted(out: Path, adoptions: Iterable[Adoption]) -> None:
    """Remember the adopted addresses (with what they are) for destroy's confirmation."""

    known = read_adopted(out)
    known.update({a.address: a.target.label for a in adoptions})
    (out / ADOPTED_FILE).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out / ADOPTED_FILE, json.dumps(known, indent=2, sort_keys=True) + "\n")


def read_adopted(out: Path) -> dict[str, str]:
    """address -> label of every resource adopted into this workspace ({} when none)."""
    try:
        data = json.loads((out / ADOPTED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def forget_adopted(out: Path, addresses: Iterable[str]) -> None:
    """Drop destroyed addresses from the record (the file goes when it is empty)."""

    known = read_adopted(out)
    for address in addresses:
        known.pop(address, None)
    path = out / ADOPTED_FILE
    if known:
        write_atomic(path, json.dumps(known, indent=2, sort_keys=True) + "\n")
    else:
        path.unlink(missing_ok=True)
