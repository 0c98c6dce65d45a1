"""Where the shipped data lives: templates, static terraform modules, the sample payload.

In a wheel they are packaged under `wizard/_data/`; in a source checkout (editable install) they
are the top-level folders of the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


@cache
def data_root() -> Path:
    """The folder that holds `templates/`, `terraform/` and `payload/`."""
    packaged = _PACKAGE / "_data"
    if (packaged / "templates").is_dir():
        return packaged
    return _PACKAGE.parent


def templates_dir() -> Path:
    """Jinja templates (`terraform/*.j2`, `payload/*.j2`)."""
    return data_root() / "templates"


def modules_dir() -> Path:
    """Static terraform modules (`iam`, `instance`, `codedeploy`, `pipeline`, ...)."""
    return data_root() / "terraform" / "modules"


def payload_dir() -> Path:
    """The sample FastAPI service that the pipeline deploys."""
    return data_root() / "payload"
