"""Shared fixtures: every snippet is run once, all at once, in the background from collection on; the built
site, served as GitHub Pages serves it; a Chromium for the browser tests of each test file.

With pytest-xdist (``-n``, on by default in pyproject.toml) the batch and the build still happen once: the
first worker runs the batch and publishes its outcomes, and the first worker that needs the site builds it,
each into a folder the run's workers share."""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from filelock import FileLock
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

    def __init__(self, snippets: list[Path], publish: Path | None = None) -> None:
        super().__init__(daemon=True, name="snippet-batch")
        self.snippets = snippets
        self.publish = publish  # where the other workers of `pytest -n` read the outcomes from
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for outcome in check_all(self.snippets, use_cache=False):
                self.outcomes[outcome.label, outcome.minor] = outcome
        except BaseException as error:  # reported by the tests that need the batch
            self.error = error
        if self.publish:
            said = "".join(traceback.format_exception(self.error)) if self.error else None
            _write_atomically(self.publish, pickle.dumps((self.outcomes, said)))


class _PublishedBatch:
    """The batch as another worker of the same `pytest -n` run sees it: its outcomes, once published."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.error: BaseException | None = None
        self._read = False

    def join(self, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while not self.path.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no snippet outcomes from the first worker in {timeout:.0f} s ({self.path})")
            time.sleep(0.05)
        if not self._read:
            self.outcomes, said = pickle.loads(self.path.read_bytes())
            self.error = RuntimeError(f"the snippet batch failed in the first worker:\n{said}") if said else None
            self._read = True


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers polling for ``path`` see it whole or not at all."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


_batch: _Batch | _PublishedBatch | None = None


# ---------------------------------------------------------------- pytest-xdist: what the workers share


def _shared(config: pytest.Config) -> Path | None:
    """The folder the workers of one `pytest -n` run share; None in a run without workers."""
    workerinput = getattr(config, "workerinput", None)
    return Path(workerinput["asyncio_together_shared"]) if workerinput else None


def _first_worker(config: pytest.Config) -> bool:
    workerinput = getattr(config, "workerinput", None)
    return workerinput is None or workerinput["workerid"] == "gw0"


_SHARED = pytest.StashKey[Path]()


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's: in the controller, for each worker it starts
def pytest_configure_node(node) -> None:
    config = node.config
    if _SHARED not in config.stash:
        config.stash[_SHARED] = Path(tempfile.mkdtemp(prefix="asyncio-together-"))
    node.workerinput["asyncio_together_shared"] = str(config.stash[_SHARED])


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SHARED in config.stash:  # the controller, after its workers have ended
        shutil.rmtree(config.stash[_SHARED], ignore_errors=True)


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
        config = items[0].config
        shared = _shared(config)
        published = shared / "batch.pickle" if shared else None
        if _first_worker(config):  # each worker collects the same tests: the first runs them for all
            _batch = _Batch(snippets, publish=published)
            _batch.start()
        else:
            _batch = _PublishedBatch(published)
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


# Which builder makes the site the browser tests read: MkDocs, the default, or Zensical (issue 18's
# parity check: `SITE_BUILDER=zensical python -m pytest tests/test_browser.py tests/test_replay.py`).
BUILDERS = ("mkdocs", "zensical")
BUILDER = os.environ.get("SITE_BUILDER", "mkdocs")


@pytest.fixture(scope="session")
def built_site(snippet_outcomes, tmp_path_factory, pytestconfig) -> Path:
    """The site, built strictly after the snippet runs (so it takes them from the cache), once per run."""
    if BUILDER not in BUILDERS:
        pytest.fail(f"SITE_BUILDER={BUILDER}: the site is built by {' or '.join(BUILDERS)}", pytrace=False)
    build = build_site if BUILDER == "mkdocs" else build_site_with_zensical
    shared = _shared(pytestconfig)
    if shared is None:
        site = tmp_path_factory.mktemp("site")
        build(site)
        return site
    site, built, failed = shared / "site", shared / "site.built", shared / "site.failed"
    with FileLock(shared / "site.lock"):  # the first worker to need it builds it; the others wait for it
        if failed.exists():
            pytest.fail(failed.read_text(encoding="utf-8"), pytrace=False)
        if not built.exists():
            try:
                build(site)
            except pytest.fail.Exception as error:
                failed.write_text(str(error), encoding="utf-8")
                raise
            built.touch()
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


def build_with_zensical(project: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """``zensical build`` in ``project`` (it writes ``site/`` there: it has no --site-dir); its log in stdout."""
    return subprocess.run(
        [sys.executable, "-m", "zensical", "build"],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
    )  # fmt: skip


def build_site_with_zensical(site: Path) -> None:
    """``zensical build`` of a copy of this project into ``site``, from the suite's cached runs.

    Zensical writes ``site/`` in the project and has no ``--site-dir``: the copy keeps the checkout's
    own ``site/`` as it was. It is strict through ``strict: true`` in ``mkdocs.yml``.
    """
    project = Path(tempfile.mkdtemp(prefix="zensical-", dir=site.parent))
    for name in ("docs", "snippets", "overrides"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "pyproject.toml"):
        shutil.copy(ROOT / name, project / name)
    env = {**os.environ, "SNIPPET_PROJECT_ROOT": str(project), "SNIPPET_CACHE_DIR": str(settings().cache_dir)}
    build = build_with_zensical(project, env, timeout=600)
    if build.returncode:
        pytest.fail(f"zensical build failed:\n{build.stdout[-4000:]}", pytrace=False)
    shutil.rmtree(site, ignore_errors=True)
    shutil.move(project / "site", site)
    shutil.rmtree(project, ignore_errors=True)


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


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    """``site`` served as GitHub Pages serves it (``tests/site_server.py``), for the block: its address."""
    from site_server import serve  # here, not at the top: test_faithful copies this file into a project alone

    server, url = serve(site)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    with served(built_site) as url:
        yield url


# ---------------------------------------------------------------- the browser


def _chromium() -> str:
    """The browser found by ``browsers.find`` (Debian's Chromium, the runner's Google Chrome, Playwright's ...)."""
    import browsers  # here, not on top: a project that copies this conftest for its own tests needs no browser

    try:
        return browsers.find().path
    except browsers.NoBrowser as error:
        pytest.fail(str(error), pytrace=False)


# One Chromium per test file, not per session: while Playwright's sync API is open it keeps an event loop
# running in this thread, and a later test's asyncio.run() would fail ("cannot be called from a running
# event loop"). Under `pytest -n` any file may come after a browser test's file.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from browsers import LAUNCH_ARGS  # headless and offline

    executable = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def offline_context(browser: Browser, site_url: str) -> BrowserContext:
    """A desktop-sized context for the site at ``site_url``: the clipboard allowed, axe-core in every page, and
    no request leaving the machine (one that tries fails at once instead of hanging a test)."""
    origin = f"{urlsplit(site_url).scheme}://{urlsplit(site_url).netloc}"
    context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    context.add_init_script(AXE_SCRIPT)  # axe-core in every page, from the package: nothing is fetched
    context.route(lambda url: not is_local(url), lambda route: route.abort("blockedbyclient"))
    return context


@pytest.fixture(scope="module")
def context(browser: Browser, site_url: str) -> Iterator[BrowserContext]:
    context = offline_context(browser, site_url)
    yield context
    context.close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"
