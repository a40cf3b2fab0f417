"""A development checkout: `make run` writes a DEBUG .env once, every Makefile target exists, and
`make check-deploy` judges the settings the server will really read (the environment, then .env)."""

import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.checkout import REPO, clean_environment, project_copy

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args, cwd=REPO, env=None):
    return subprocess.run(["make", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120, env=env)


def test_make_env_writes_a_debug_env_from_the_example_and_never_overwrites_it(tmp_path):
    shutil.copy(REPO / "Makefile", tmp_path)
    shutil.copy(REPO / ".env.example", tmp_path)
    assert make(".env", cwd=tmp_path).returncode == 0
    env = (tmp_path / ".env").read_text()
    assert re.search(r"^DEBUG=True$", env, re.MULTILINE) and not re.search(r"^DEBUG=False$", env, re.MULTILINE)
    assert env.replace("DEBUG=True", "DEBUG=False") == (tmp_path / ".env.example").read_text()
    (tmp_path / ".env").write_text("DEBUG=False\nSECRET_KEY=mine\n")
    assert make(".env", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".env").read_text() == "DEBUG=False\nSECRET_KEY=mine\n"


def test_make_run_creates_the_env_before_migrating():
    dry = make("-n", "run").stdout
    assert "manage.py migrate" in dry
    if "sed -e" in dry:  # absent when this checkout already has a .env
        assert dry.index("sed -e") < dry.index("manage.py migrate")


def test_every_phony_target_has_a_rule():
    makefile = (REPO / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE).group(1).split()
    rules = set(re.findall(r"^([A-Za-z][\w-]*):", makefile, re.MULTILINE))
    assert set(phony) <= rules, set(phony) - rules


@pytest.mark.parametrize(
    ("target", "command"),
    [("check-deploy", "manage.py check --deploy --fail-level WARNING"), ("schema", "manage.py spectacular --validate")],
)
def test_deploy_check_and_schema_targets_run_their_commands(target, command):
    result = make("-n", target)
    assert result.returncode == 0 and command in result.stdout


# --- make check-deploy: the settings the server will read ------------------------------------------------


def production_variables(**extra: str) -> dict[str, str]:
    variables = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "cadence.example.com",
        "APP_ENVIRONMENT": "production",
        "DEBUG": "False",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
    }
    return clean_environment(**{**variables, **extra})


def check_deploy(cwd: Path, env: dict[str, str]):
    # -o: the linked virtualenv is installed already; never reinstall it from a test.
    return make("-o", ".venv/.installed-stamp", "check-deploy", cwd=cwd, env=env)


def test_check_deploy_no_longer_forces_debug_off_on_its_command_line():
    dry = make("-n", "-o", ".venv/.installed-stamp", "check-deploy").stdout
    (check,) = [line for line in dry.splitlines() if "manage.py check --deploy --fail-level WARNING" in line]
    assert "DEBUG" not in check


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return project_copy(tmp_path_factory.mktemp("checkout") / "cadence")


def test_check_deploy_fails_on_the_debug_a_development_env_turns_on(checkout):
    """The hole: `make run` leaves DEBUG=True in .env; production variables without DEBUG used to pass."""
    assert make(".env", cwd=checkout).returncode == 0
    try:
        variables = production_variables()
        del variables["DEBUG"], variables["APP_ENVIRONMENT"]
        result = check_deploy(checkout, variables)
        assert result.returncode != 0
        assert "DEBUG is on in the settings the server would read" in result.stderr
        assert "DEBUG=True" in result.stdout and f".env={checkout / '.env'}" in result.stdout
    finally:
        (checkout / ".env").unlink()


def test_check_deploy_in_production_refuses_a_development_env_even_with_debug_off(checkout):
    assert make(".env", cwd=checkout).returncode == 0
    try:
        result = check_deploy(checkout, production_variables())
        assert result.returncode != 0
        assert "is a development .env (DEBUG=True, APP_ENVIRONMENT=development)" in result.stderr
    finally:
        (checkout / ".env").unlink()


def test_check_deploy_fails_on_debug_set_in_the_environment(checkout):
    variables = production_variables(DEBUG="True")
    del variables["APP_ENVIRONMENT"]  # development: the settings allow DEBUG, check-deploy does not
    result = check_deploy(checkout, variables)
    assert result.returncode != 0 and "DEBUG is on" in result.stderr


def test_check_deploy_passes_with_the_production_variables_and_says_what_it_checked(checkout):
    result = check_deploy(checkout, production_variables())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "APP_ENVIRONMENT=production DEBUG=False" in result.stdout and ".env=none" in result.stdout
    assert "System check identified no issues" in result.stdout + result.stderr


def test_check_deploy_still_fails_on_a_deployment_warning(checkout):
    result = check_deploy(checkout, production_variables(SECURE_HSTS_SECONDS="0"))
    assert result.returncode != 0 and "security.W004" in result.stdout + result.stderr


# --- The README's deployment section (CI runs it: .ci/deploy-walkthrough) --------------------------------


def test_the_readme_deployment_steps_go_from_nothing_to_a_signed_in_operator():
    readme = (REPO / "README.md").read_text()
    section = re.search(r"<!-- deploy-steps:begin -->(.*?)<!-- deploy-steps:end -->", readme, re.S).group(1)
    commands = "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))
    in_order = [
        "pip install -r requirements.txt",
        "export APP_ENVIRONMENT=production",
        "export DEBUG=False",
        "export SECRET_KEY=",
        "manage.py check --deploy --fail-level WARNING",
        "manage.py migrate --no-input",
        "manage.py collectstatic --no-input",
        "manage.py createsuperuser --no-input",
        "manage.py connection_profile --environment production",
        "manage.py checkdb",
        "gunicorn config.wsgi",
        "/health/live",
        "/health/db",
        "/api/v1/auth/token/",
    ]
    positions = [commands.find(command) for command in in_order]
    assert -1 not in positions, [c for c, at in zip(in_order, positions, strict=True) if at == -1]
    assert positions == sorted(positions)
    assert section.count("<!-- deploy-steps:server -->") == 1
    # The walkthrough replaces exactly these example values; they must stay in the README.
    walkthrough = (REPO / ".ci" / "deploy-walkthrough").read_text()
    table = re.search(r"substitutions = \{(.*?)\n\}", walkthrough, re.S).group(1)
    for example in re.findall(r'^\s+"([^"]+)":', table, re.M):
        assert example in commands, example
