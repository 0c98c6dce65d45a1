"""The FastAPI application: a health check plus what is deployed where.

Run it with hypercorn from the payload folder:
`hypercorn --config configs/hypercorn.toml --bind 127.0.0.1:8000 src.main:app`.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from fastapi import FastAPI

from .config import Settings, get_settings
from .models import Deployment, Health, ServiceInfo, VersionInfo

logger = logging.getLogger("python_app")


def _configure_logging(level: str) -> None:
    """The service's own log lines, on stderr (hypercorn configures its own loggers)."""
    logger.setLevel(level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application for `settings` (default: from the environment file)."""
    settings = settings or get_settings()
    started = time.monotonic()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    _configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        logger.info(
            "%s %s starting (deployment %s, health at %s)",
            settings.app_name,
            settings.app_version,
            settings.deployment_id or "none",
            settings.health_path,
        )
        yield
        logger.info("%s stopping", settings.app_name)

    app = FastAPI(title=settings.app_name, version=settings.app_version, lifespan=lifespan)

    def deployment() -> Deployment:
        return Deployment(
            id=settings.deployment_id,
            group=settings.deployment_group,
            application=settings.application_name,
            revision=settings.revision,
            deployed_at=settings.deployed_at,
        )

    def health() -> Health:
        return Health()

    app.add_api_route("/health", health, methods=["GET"], response_model=Health, tags=["ops"])
    if settings.health_path != "/health":
        app.add_api_route(
            settings.health_path, health, methods=["GET"], response_model=Health, tags=["ops"]
        )

    @app.get("/version", response_model=VersionInfo, tags=["ops"])
    def version() -> VersionInfo:
        return VersionInfo(
            name=settings.app_name, version=settings.app_version, deployment=deployment()
        )

    @app.get("/", response_model=ServiceInfo)
    def info() -> ServiceInfo:
        paths = sorted({"/", "/version", "/health", settings.health_path, "/docs"})
        return ServiceInfo(
            name=settings.app_name,
            version=settings.app_version,
            deployment=deployment(),
            environment=settings.environment,
            hostname=socket.gethostname(),
            started_at=started_at,
            uptime_seconds=round(time.monotonic() - started, 3),
            endpoints=paths,
        )

    return app


app = create_app()
