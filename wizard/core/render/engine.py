"""Rendering: answers in, a tree of files out. Pure and deterministic: no AWS, no terraform.

Layout of the output tree (paths relative to the workspace):

- `terraform/`           the root module from `templates/terraform/*.j2`, plus the static
                          modules copied from `terraform/modules/` into `terraform/modules/`
- `terraform/` (sandbox) `templates/sandbox/*.j2` too, only when rendering for the sandbox
- `payload/`             the sample service from `payload/` plus `templates/payload/**.j2`
                          (`appspec.yml`, `scripts/*.sh`)

A template that renders to nothing is not written: the load balancer's hooks exist only when the
answers configure one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from wizard import __version__
from wizard.core import resources
from wizard.core.answers import Answers, to_flat
from wizard.core.render.filters import FILTERS
from wizard.core.render.tfvars import root_variables

#: Never copied from the static trees.
_IGNORED_PARTS = frozenset(
    {"__pycache__", ".pytest_cache", ".venv", "venv", ".terraform", ".mypy_cache", ".ruff_cache"}
)
_IGNORED_SUFFIXES = (".pyc", ".pyo", ".tfstate", ".tfstate.backup", ".lock.hcl")


@dataclass(frozen=True)
class RenderedFile:
    content: bytes
    mode: int = 0o644


RenderedTree = dict[str, RenderedFile]


def environment(root: Path | None = None) -> jinja2.Environment:
    """The one Jinja environment: strict undefined, no autoescape (filters escape per language).

    Cached per templates folder: building it (and compiling templates) dominates a render, and
    the wizard re-renders on every review. Jinja's loader still reloads templates that change.
    """
    return _environment(str(root or resources.templates_dir()))


@cache
def _environment(root: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def _static_files(base: Path) -> Iterator[tuple[str, Path]]:
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if any(part in _IGNORED_PARTS for part in rel.parts) or path.name.endswith(
            _IGNORED_SUFFIXES
        ):
            continue
        if path.is_file():
            yield rel.as_posix(), path


def _mode_for(rel: str, source: Path | None = None) -> int:
    if rel.endswith(".sh") or (source is not None and source.stat().st_mode & 0o111):
        return 0o755
    return 0o644


def render(
    answers: Answers,
    *,
    sandbox: Mapping[str, Any] | None = None,
    templates: Path | None = None,
) -> RenderedTree:
    """Render every template and copy every static file. Same inputs, byte-identical output.

    `sandbox` (only for the embedded emulator) is passed to the templates and enables the
    `templates/sandbox/` overrides; the real-AWS rendering never contains any of it.
    """
    root = templates or resources.templates_dir()
    env = environment(root)
    context = {
        "a": answers,
        "answers": to_flat(answers),
        "cdwizard_version": __version__,
        "sandbox": sandbox,
        "tfvars": root_variables(answers),
    }
    tree: RenderedTree = {}

    for rel, src in _static_files(resources.modules_dir()):
        tree[f"terraform/modules/{rel}"] = RenderedFile(src.read_bytes(), _mode_for(rel))
    for rel, src in _static_files(resources.payload_dir()):
        tree[f"payload/{rel}"] = RenderedFile(src.read_bytes(), _mode_for(rel, src))

    targets = [("terraform", "terraform"), ("payload", "payload")]
    if sandbox is not None:
        targets.append(("sandbox", "terraform"))
    for template_dir, out_dir in targets:
        for rel, _src in _static_files(root / template_dir):
            if not rel.endswith(".j2"):
                continue
            name = rel.removesuffix(".j2")
            text = env.get_template(f"{template_dir}/{rel}").render(context)
            if not text:  # a file these answers do not need (the load balancer's hooks)
                continue
            tree[f"{out_dir}/{name}"] = RenderedFile(text.encode("utf-8"), _mode_for(name))
    return dict(sorted(tree.items()))
