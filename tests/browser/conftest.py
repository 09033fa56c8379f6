"""Real headless Chromium (Debian's package, never a downloaded browser) driven by Playwright
against a live server on loopback. A failing test leaves a screenshot in test-artifacts/."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

from config.celery_app import app as celery_app
from tests.conftest import REQUIRE_SERVICES

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make between
# browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


BROWSER_TEST_TIMEOUT = 120  # seconds; a hung page fails its test instead of the whole run


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in item.nodeid and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


class SerialWSGIServer(WSGIServer):
    """Django's live server answers requests one at a time here: with SQLite's in-memory test
    database every server thread shares the test's one connection, and two requests using it at
    once (the dashboard and its chart, loaded in parallel) can hang both."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def _serial_live_server_on_in_memory_sqlite():
    # (The test database of SQLite is in memory; it is not created yet when this runs.)
    before = LiveServerThread.server_class
    if connection.vendor == "sqlite":
        LiveServerThread.server_class = SerialWSGIServer
    yield
    LiveServerThread.server_class = before


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip("needs Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash.setdefault("failed", False)
        if report.failed:
            item.stash["failed"] = True
    return report


@pytest.fixture(autouse=True)
def tasks_in_process():
    """Celery tasks the pages start (alert checks after a posting, imports) run in the server
    thread, as a worker would run them, instead of waiting in a broker nobody reads."""
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=False)
    yield
    celery_app.conf.update(task_always_eager=before[0], task_eager_propagates=before[1])


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads (imports) go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def page(request, browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    yield page
    if request.node.stash.get("failed", False):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def login(page):
    def do_login(username, password="pw-for-tests-1"):
        page.goto(page.base_url + "/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        page.wait_for_url(page.base_url + "/")

    return do_login
