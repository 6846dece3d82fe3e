"""Shared fixtures: every snippet is run once, all at once, in the background from collection on; the built
site, served as GitHub Pages serves it; one Chromium for every browser test of the session."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from snippet_engine import config as config_module
from snippet_engine.batch import Outcome, applicable, check_all
from snippet_engine.config import ConfigError, discover, label, settings

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """The project tested is pytest's rootdir (not where the engine is installed); bad settings stop the run."""
    config_module.use_project(config.rootpath)
    try:
        settings()
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None


class _Batch(threading.Thread):
    """The snippet runs, started as soon as the tests are collected, so other tests go on meanwhile."""

    def __init__(self, snippets: list[Path]) -> None:
        super().__init__(daemon=True, name="snippet-batch")
        self.snippets = snippets
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for outcome in check_all(self.snippets, use_cache=False):
                self.outcomes[outcome.label, outcome.minor] = outcome
        except BaseException as error:  # reported by the tests that need the batch
            self.error = error


_batch: _Batch | None = None


def snippet_cases() -> list:
    """Every snippet on every configured version; versions left out (SNIPPET_PYTHONS) are skipped, not dropped."""
    return [
        pytest.param(label(snippet), minor, id=f"{label(snippet)}-{minor}")
        for snippet in discover()
        for minor in applicable(snippet, settings().configured)
    ]


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what they deselect
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    global _batch
    waiting = [item for item in items if _needs_batch(item)]
    if waiting:
        # Only the selected snippets (`-k gather/`), unless a test of the whole site needs them all.
        chosen = {item.callspec.params["snippet"] for item in waiting if item.originalname == "test_snippet"}
        everything = any(item.originalname != "test_snippet" for item in waiting)
        snippets = [s for s in discover() if everything or label(s) in chosen]
        _batch = _Batch(snippets)
        _batch.start()
    # Tests that don't wait for the batch go first, while it runs; those that would load the machine
    # while snippets are being timed (builds, servers, test runs of their own) go after it.
    items.sort(key=lambda item: _needs_batch(item) or _after_batch(item))


def _needs_batch(item: pytest.Item) -> bool:
    return "snippet_outcomes" in getattr(item, "fixturenames", ())


def _after_batch(item: pytest.Item) -> bool:
    return "after_snippet_runs" in getattr(item, "fixturenames", ())


@pytest.fixture(scope="session")
def after_snippet_runs() -> None:
    """Wait until the snippet batch (if any) is over: the machine is not busy while snippets are timed."""
    if _batch is not None:
        _batch.join()


@pytest.fixture(scope="session")
def snippet_outcomes() -> dict[tuple[str, str], Outcome]:
    assert _batch is not None
    _batch.join()
    if _batch.error:
        raise _batch.error
    return _batch.outcomes


@pytest.fixture(scope="session")
def built_site(snippet_outcomes, tmp_path_factory) -> Path:
    """The site, built strictly after the snippet runs (so it takes them from the cache)."""
    site = tmp_path_factory.mktemp("site")
    build_site(site)
    return site


def build_site(site: Path, project: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of ``project`` into ``site``; a failure fails the test with MkDocs' warnings."""
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    if build.returncode:
        pytest.fail(f"mkdocs build --strict failed:\n{warnings_of(build.stderr)}", pytrace=False)
    return build


_LEVEL = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")


def warnings_of(log: str, most: int = 200) -> str:
    """Only the WARNING and ERROR entries of a MkDocs log (each with its continuation lines), at most ``most`` lines."""
    kept, keeping = [], False
    for line in log.splitlines():
        if level := _LEVEL.match(line):
            keeping = level[1] in ("WARNING", "ERROR", "CRITICAL")
        elif line.startswith("Aborted"):
            keeping = True
        if keeping:
            kept.append(line)
    if len(kept) > most:
        kept = [*kept[:most], f"... and {len(kept) - most} more lines"]
    return "\n".join(kept) or log[-2000:]


# A session fixture that fails (the strict build, say) fails every test that uses it, and pytest
# would print its whole message under each: each problem is said once, then named.
_said: dict[tuple[str, str], str] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or not report.failed or call.when != "setup":
        return
    said = (call.excinfo.typename, str(call.excinfo.value))
    if said in _said:
        report.longrepr = f"{said[0]}: the same as in {_said[said]} (said there in full)"
    else:
        _said[said] = item.nodeid


# ---------------------------------------------------------------- serving the site


class _SiteHandler(SimpleHTTPRequestHandler):
    """GitHub Pages in miniature: the site below ``base``, and its 404 page, with status 404, for the rest."""

    def __init__(self, *args, site: Path, base: str, **kwargs):
        self.site, self.base = site, base
        super().__init__(*args, directory=str(site), **kwargs)

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(self.base):
            return str(self.site / "\0outside the site")
        return super().translate_path("/" + path[len(self.base) :])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = self.site / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def base_path(site: Path) -> str:
    """The path the site lives under, as its sitemap says (from ``site_url``): "/asyncio-together/"."""
    first = ET.parse(site / "sitemap.xml").getroot().find("{*}url/{*}loc")
    return urlsplit(first.text.strip()).path if first is not None else "/"


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    base = base_path(built_site)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_SiteHandler, site=built_site, base=base))
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}{base}"
    server.shutdown()
    server.server_close()
    thread.join()


# ---------------------------------------------------------------- the browser


def _chromium() -> str:
    """The browser found by ``browsers.find`` (Debian's Chromium, the runner's Google Chrome, Playwright's ...)."""
    import browsers  # here, not on top: a project that copies this conftest for its own tests needs no browser

    try:
        return browsers.find().path
    except browsers.NoBrowser as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from browsers import LAUNCH_ARGS  # headless and offline

    executable = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def context(browser: Browser, site_url: str) -> Iterator[BrowserContext]:
    origin = f"{urlsplit(site_url).scheme}://{urlsplit(site_url).netloc}"
    context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    context.add_init_script(AXE_SCRIPT)  # axe-core in every page, from the package: nothing is fetched
    # Nothing leaves the machine, and a request that tries fails at once instead of hanging a test.
    context.route(lambda url: not is_local(url), lambda route: route.abort("blockedbyclient"))
    yield context
    context.close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"
