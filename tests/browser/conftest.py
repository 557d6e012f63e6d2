"""Browser tests of the web viewer: Debian's chromium driven by Playwright, against the real
gateway of the session (tests/conftest.py).

chromium is launched from /usr/bin/chromium (``playwright install`` would download a browser,
and nothing may be downloaded). Every request the page makes is routed: one that leaves
127.0.0.1 is aborted and fails the test, and so does any console error. Screenshots are kept in
``tests/browser/artefacts/`` (or ``$EOSCOPE_BROWSER_ARTEFACTS``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from services.viewer.overlay import write_overlay
from tests.conftest import TINY

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(os.environ.get("EOSCOPE_BROWSER_ARTEFACTS",
                                Path(__file__).resolve().parent / "artefacts"))
VIEWPORT = {"width": 1200, "height": 800}
WARM_LAYER = "CGS_S2_LAI"  # a layer the tests do not measure


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_report_header() -> str:
    return f"browser artefacts (screenshots): {ARTEFACTS}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": VIEWPORT, "accept_downloads": True}


@pytest.fixture(scope="session")
def site(gateway):
    """The session gateway with the demo overlay written into its archive, its workers
    warmed (each builds its tile service on its first tile; the viewer's first-map budget is
    for a running demo, not for a gateway that just started)."""
    write_overlay(gateway.settings.archive, TINY)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    date = gateway.index.dates(gateway.registry.layers[WARM_LAYER][0].id)[0]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda x: requests.get(
            f"{gateway.url}/tiles/{WARM_LAYER}/{date}/12/{x}/1365.png", timeout=60),
            range(2094, 2102)))
    return gateway


@dataclass
class Watch:
    """What the page did: every request URL, requests that tried to leave the machine,
    console errors (tests that provoke a failure clear the ones they expect)."""

    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def matching(self, fragment: str) -> list[str]:
        return [url for url in self.requests if fragment in url]


@pytest.fixture
def watch(page, site) -> Watch:
    seen = Watch()

    def route(route, request):
        seen.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.hostname != "127.0.0.1":
            seen.outside.append(request.url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", route)
    page.on("console", lambda message: message.type == "error"
            and seen.console_errors.append(message.text))
    page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
    yield seen
    assert seen.outside == [], "requests left 127.0.0.1"
    assert seen.console_errors == [], "console errors"


def open_viewer(page, site, query: str = "") -> None:
    """Open the viewer and wait until its first map is complete."""
    page.goto(f"{site.url}/viewer/{query}")
    page.wait_for_function("window.eoscopeViewer && window.eoscopeViewer.firstMapMs !== null",
                           timeout=15_000)


def shot(page, name: str) -> Path:
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=path)
    return path
