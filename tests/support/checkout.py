"""A copy of the project and a clean environment, for tests that run `make` or `manage.py` in a subprocess."""

import os
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# What a checkout holds besides the code: never copied, so a copy starts like a fresh clone.
NOT_THE_CODE = (".git", ".venv", ".env", "var", "staticfiles", "__pycache__", ".pytest_cache", ".ruff_cache")


def project_copy(dest: Path) -> Path:
    """A copy of the project's code at `dest` (no .env, no database), with the virtualenv linked in, so a test
    can give it the .env it wants without touching the checkout's."""
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(*NOT_THE_CODE))
    (dest / ".venv").symlink_to(REPO / ".venv")
    return dest


def clean_environment(**variables: str) -> dict[str, str]:
    """This process's environment without Cadence's settings (the suite's defaults included), plus `variables`."""
    cadence = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    env = {k: v for k, v in os.environ.items() if k not in cadence | {"DJANGO_SETTINGS_MODULE", "FRONTEND_URL"}}
    env.update(variables)
    return env
