"""Response models of the service's endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    """What the health endpoint returns; ValidateService polls it."""

    status: Literal["ok"] = "ok"


class Deployment(BaseModel):
    """Which CodeDeploy deployment put this code here (all null when started by hand)."""

    id: str | None = Field(None, description="CodeDeploy deployment id, e.g. d-MS07UR13G")
    group: str | None = Field(None, description="deployment group name")
    application: str | None = Field(None, description="CodeDeploy application name")
    revision: str | None = Field(
        None, description="bundle commit/ETag, or a hash of the deployed files"
    )
    deployed_at: str | None = Field(None, description="when AfterInstall configured it (UTC)")


class VersionInfo(BaseModel):
    name: str
    version: str
    deployment: Deployment


class ServiceInfo(VersionInfo):
    environment: str
    hostname: str
    started_at: str
    uptime_seconds: float
    endpoints: list[str]
