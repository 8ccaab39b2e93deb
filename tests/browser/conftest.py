"""A live server on the test database and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Any, app_db: Any) -> Iterator[Any]:
    """A page in a phone-sized window (360 × 740), Vietnamese locale."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def in_own_thread(scenario: Callable[[Any], None], width: int = 360, height: int = 740) -> None:
    """Run ``scenario(page)`` with a ``width`` × ``height`` Vietnamese page in a Chromium of
    its own, in a thread of its own: Playwright's sync API refuses to start a second
    instance in the thread that holds the session-wide ``browser`` fixture."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get)")
    failure: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM),
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                try:
                    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
                    scenario(context.new_page())
                finally:
                    browser.close()
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the browser scenario did not finish in 120 s"
    if failure:
        raise failure[0]
