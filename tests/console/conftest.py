"""Console tests: Django's test client for the views, headless Chromium (Playwright) for the browser tests.

Browser tests use Debian's chromium (`/usr/bin/chromium`, or CHROMIUM). Screenshots of every page they
visit are kept under ARTIFACTS_DIR (default var/test-artifacts)/screenshots/<test>/.

View tests sign in with `client.force_login(user)`. Browser tests fail on a JavaScript error and on
any Content-Security-Policy violation in the page.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.celery_worker import running_worker
from tests.servers import BASE_DIR, MANAGE, createcsp, gunicorn, throwaway_database

# pytest-django's live_server runs in this process, beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR") or BASE_DIR / "var" / "test-artifacts")
STACK_PASSWORD = "console-demo-pass-1"


@pytest.fixture(scope="package")
def browser():
    """Chromium for this package's tests only: Playwright's sync API keeps an event loop running on the
    main thread while it is open, which later tests that call asyncio.run() must not meet."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Screens:
    """Screenshots of the pages a test visits, numbered in the order taken."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def shot(self, page, name: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screens(request) -> Screens:
    folder = ARTIFACTS / "screenshots" / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)  # only this run's pages
    return Screens(folder)


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) at a laptop's size; the console's errors, and anything its
    Content-Security-Policy blocked, fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_VIOLATIONS_REPORTED)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: csp_violation(message, errors))
    yield page
    context.close()
    assert not errors, f"JavaScript errors or CSP violations in the page: {errors}"


# Every violation as a console error, with what was blocked (Chromium's own message names the
# directive but not always the element).
CSP_VIOLATIONS_REPORTED = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ` +
                `${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber} ${event.sample}`);
});
"""


# Blocked on purpose: ReDoc's attribution logo, which it always loads from its CDN (the docs, like the
# console, fetch nothing from outside).
EXPECTED_BLOCKS = ("https://cdn.redoc.ly/redoc/logo-mini.svg",)


def csp_violation(message, errors: list[str]) -> None:
    text = message.text
    if message.type == "error" and "Content Security Policy" in text:
        if not any(blocked in text for blocked in EXPECTED_BLOCKS):
            errors.append(text)


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/console/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/console/")


@dataclass
class ConsoleStack:
    url: str
    credentials: dict[str, str]  # the CSP admin's, from createcsp (with `password`)
    email: str
    logs: dict[str, Path]
    env: dict[str, str]

    def diagnostics(self) -> str:
        return "\n".join(f"--- {n} ---\n{p.read_text(errors='replace')[-3000:]}" for n, p in self.logs.items())


def _own_redis_db(url: str, offset: int) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    db = int((parts.path or "/0").lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db + offset) % 16}"))


@pytest.fixture(scope="session")
def console_stack(tmp_path_factory) -> Iterator[ConsoleStack]:
    """The product as `make run` serves it: gunicorn (static files by whitenoise) and a Celery worker,
    on a database and a Redis database of their own, with one CSP whose admin has a password."""
    workdir = tmp_path_factory.mktemp("console")
    with throwaway_database("console") as env:
        env.update(
            {
                "DATA_DIR": str(workdir),
                "SECRET_KEY": "console-test-secret-key-" + os.urandom(8).hex(),
                "REDIS_URL": _own_redis_db(os.environ["REDIS_URL"], 7),
                "CACHE_KEY_PREFIX": "aa-console",
                "LOG_LEVEL": "WARNING",
            }
        )
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        subprocess.run([*MANAGE, "collectstatic", "--noinput", "-v", "0"], env=env, cwd=BASE_DIR, check=True)
        email = "admin@console.test"
        credentials = createcsp(env, "Console CSP", email, password=STACK_PASSWORD)
        logs = {name: workdir / f"{name}.log" for name in ("gunicorn", "worker")}
        with gunicorn(env, logs["gunicorn"]) as url, running_worker("console", logs["worker"], env):
            yield ConsoleStack(url, credentials, email, logs, env)
