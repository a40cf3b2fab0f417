"""A development checkout: `make run` writes a DEBUG .env once, and every Makefile target exists."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args, cwd=REPO):
    return subprocess.run(["make", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60)


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
