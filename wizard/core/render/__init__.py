"""Rendering answers into a workspace: templates -> files (pure), files -> disk (safe)."""

from wizard.core.render.engine import RenderedFile, RenderedTree, environment, render
from wizard.core.render.filters import FILTERS, hcl, hcl_string, json_value, sh, yaml_value
from wizard.core.render.workspace import (
    MANIFEST,
    FileChange,
    ManifestDamaged,
    WriteReport,
    plan_write,
    read_manifest,
    write_workspace,
)

__all__ = [
    "FILTERS",
    "MANIFEST",
    "FileChange",
    "ManifestDamaged",
    "RenderedFile",
    "RenderedTree",
    "WriteReport",
    "environment",
    "hcl",
    "hcl_string",
    "json_value",
    "plan_write",
    "read_manifest",
    "render",
    "sh",
    "write_workspace",
    "yaml_value",
]
