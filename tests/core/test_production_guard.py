"""Production refuses development settings at start-up, whichever entry point starts it (manage.py, the WSGI
module gunicorn loads): DEBUG on, or a development .env whose values would fill in what the environment leaves
unset. Each case starts a real process on a copy of the project, whose .env the test controls."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.checkout import clean_environment, project_copy

REFUSED_DEBUG = "DEBUG is on while APP_ENVIRONMENT is production: refusing to start."
DEVELOPMENT_ENV = "is a development .env"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return project_copy(tmp_path_factory.mktemp("guard") / "cadence")


@pytest.fixture
def dotenv(project):
    """Write the copy's .env for one test; it is removed afterwards."""
    path = project / ".env"

    def write(text: str) -> Path:
        path.write_text(text)
        return path

    yield write
    path.unlink(missing_ok=True)


def development_dotenv(project: Path) -> str:
    """The .env `make run` writes: .env.example with DEBUG=True."""
    return (project / ".env.example").read_text().replace("\nDEBUG=False\n", "\nDEBUG=True\n")


def start(project: Path, *command: str, **variables: str) -> subprocess.CompletedProcess:
    env = clean_environment(SECRET_KEY=secrets.token_urlsafe(50), **variables)
    return subprocess.run(
        [sys.executable, *command], cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def manage_check(project: Path, **variables: str) -> subprocess.CompletedProcess:
    return start(project, "manage.py", "check", **variables)


def test_manage_py_refuses_debug_in_production(project):
    result = manage_check(project, APP_ENVIRONMENT="production", DEBUG="True")
    assert result.returncode != 0
    assert REFUSED_DEBUG in result.stderr and "Set DEBUG=False" in result.stderr


def test_manage_py_starts_in_production_with_debug_off(project):
    result = manage_check(project, APP_ENVIRONMENT="production", DEBUG="False")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(("environment", "debug"), [("Production", "on"), (" production", "1"), ("production", "yes")])
def test_every_spelling_of_debug_on_is_refused_in_production(project, environment, debug):
    result = start(project, "-c", "import config.settings", APP_ENVIRONMENT=environment, DEBUG=debug)
    assert result.returncode != 0 and REFUSED_DEBUG in result.stderr


def test_the_wsgi_application_gunicorn_loads_is_refused_too(project):
    result = start(project, "-c", "import config.wsgi", APP_ENVIRONMENT="production", DEBUG="True")
    assert result.returncode != 0 and REFUSED_DEBUG in result.stderr


def test_debug_stays_allowed_outside_production(project):
    """`make run` and the tests keep working: only production refuses."""
    for environment in ("development", "staging"):
        result = start(project, "-c", "import config.settings", APP_ENVIRONMENT=environment, DEBUG="True")
        assert result.returncode == 0, result.stderr


def test_debug_from_a_development_env_file_is_refused_and_the_file_named(project, dotenv):
    path = dotenv(development_dotenv(project))
    result = manage_check(project, APP_ENVIRONMENT="production")  # DEBUG left unset: the .env's True wins
    assert result.returncode != 0
    assert REFUSED_DEBUG in result.stderr and f"{path} sets DEBUG=True" in result.stderr


def test_a_development_env_file_is_refused_even_with_debug_off_in_the_environment(project, dotenv):
    """Otherwise its SQLite DATABASE_URL and per-process cache would fill in whatever production forgot."""
    path = dotenv(development_dotenv(project))
    result = manage_check(project, APP_ENVIRONMENT="production", DEBUG="False")
    assert result.returncode != 0
    assert f"{path} {DEVELOPMENT_ENV} (DEBUG=True, APP_ENVIRONMENT=development)" in result.stderr


def test_an_env_file_of_another_environment_is_refused_in_production(project, dotenv):
    dotenv("DEBUG=False\nAPP_ENVIRONMENT=staging\n")
    result = start(project, "-c", "import config.settings", APP_ENVIRONMENT="production", DEBUG="False")
    assert result.returncode != 0 and f"{DEVELOPMENT_ENV} (APP_ENVIRONMENT=staging)" in result.stderr


def test_a_production_env_file_is_accepted(project, dotenv):
    dotenv(f"APP_ENVIRONMENT=production\nDEBUG=False\nSECRET_KEY={secrets.token_urlsafe(50)}\n")
    result = start(project, "-c", "import config.settings as s; print(s.DEBUG, s.APP_ENVIRONMENT)")
    assert result.returncode == 0, result.stderr
    assert "False production" in result.stdout


def test_a_production_env_file_that_turns_debug_on_is_refused(project, dotenv):
    dotenv("APP_ENVIRONMENT=production\nDEBUG=True\n")
    result = start(project, "-c", "import config.settings")
    assert result.returncode != 0 and REFUSED_DEBUG in result.stderr


def test_development_with_a_development_env_file_still_starts(project, dotenv):
    dotenv(development_dotenv(project))
    result = start(project, "-c", "import config.settings as s; print(s.DEBUG)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
