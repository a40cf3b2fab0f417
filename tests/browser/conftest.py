"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Without /usr/bin/chromium the browser tests skip with the reason, except in CI (CI=true), where a missing
browser is a failure. SCREENSHOTS=1 writes the screenshots docs/admin.md shows into docs/img/.
"""

import importlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))  # override only to test the skip
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container
    "--disable-gpu",
    "--disable-background-networking",  # no internet here: do not keep trying
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IMG_DIR = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in the test thread; Django's ORM (factories, assertions, the
    # database flush after the test) then refuses to run there unless told this thread is a plain synchronous
    # one, which it is. Scoped to the browser modules (module scope: the loop lives as long as `browser`, and
    # the flush after each test runs after function fixtures); the rest of the suite keeps the check.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def role_groups(transactional_db):
    """The groups of core/migrations/0001_role_groups (a transactional test's flush removes migrated rows)."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("core.migrations.0001_role_groups")

    class SchemaEditor:
        pass

    SchemaEditor.connection = connection
    migration.create_role_groups(apps, SchemaEditor())


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")`: docs/img/name.png, only with SCREENSHOTS=1 (CI leaves the tree clean)."""

    def take(page, name, *, full_page=False, locator=None):
        if os.environ.get("SCREENSHOTS") != "1":
            return
        IMG_DIR.mkdir(parents=True, exist_ok=True)
        target = page.locator(locator) if locator else page
        kwargs = {"full_page": full_page} if locator is None else {}
        target.screenshot(path=str(IMG_DIR / f"{name}.png"), **kwargs)

    return take
