"""The built site in a real browser, as a reader gets it: Chromium or Google Chrome, driven by Playwright.

Every page, in light (on a desktop) and dark (on a phone): it loads with no console error, asks
no host but the site's own, axe-core finds no accessibility violation, and the ▶ Replay controls,
which come late, take no room. Each sample's copy button gives exactly the
snippet's code, and that code, run, prints what the page shows. The keyboard reaches the
content (through "Skip to content") and search.

The site is served as GitHub Pages serves it: under the path of ``site_url``, with ``404.html``
for anything missing. One browser serves this file; the copied samples run in the
background while the other pages are checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import gzip
import re
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import browsers
import pytest
from axe_playwright_python.base import AxeResults
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from site_server import base_path

from conftest import BUILDER, ROOT, is_local
from snippet_engine.config import discover, label, settings
from snippet_engine.expected import parse, path_for
from snippet_engine.forkserver import ForkServer
from snippet_engine.interpreters import Interpreter, find
from snippet_engine.run import Run, environment, run_snippet

pytestmark = pytest.mark.browser  # `pytest -m "not browser"`: everything else, in seconds

DOCS = ROOT / "docs"
MISSING = "404"  # the test id of a page that does not exist: the site's 404 page
# In dark mode only colours change: these rules are run again (all of axe's rules run in light mode).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
PAGE_WEIGHT_LIMIT = 1_000_000  # bytes, uncompressed, of everything a first visit to one page loads
GZIPPED_LIMIT = 150_000  # bytes, the same gzipped (as GitHub Pages serves it), before any click
PHONE = {"width": 375, "height": 812}  # the dark tab's viewport: a phone's, in CSS pixels
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def _pages() -> dict[str, str]:
    """Each page's path below the site's root, and its source below docs/ (known before the build)."""
    pages = {}
    for source in sorted(DOCS.rglob("*.md")):
        parts = source.relative_to(DOCS).with_suffix("").parts
        if parts[-1] in ("index", "README"):
            parts = parts[:-1]
        pages["".join(f"{part}/" for part in parts)] = source.relative_to(DOCS).as_posix()
    return pages


SOURCES = _pages()
PAGES = list(SOURCES)


def _id(path: str) -> str:
    return path.rstrip("/") or "home"


@dataclass
class Tab:
    """A browser tab, kept for the session, and what it asked for and complained about in this test."""

    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("response", lambda response: self.responses.append(response))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(_console(message)))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught {error.name}: {error.message}"))

    def clear(self) -> None:
        self.requests.clear()
        self.errors.clear()
        self.responses.clear()

    @property
    def bytes(self) -> int:
        """The bytes of the responses so far, uncompressed."""
        return sum(_length(response) for response in self.responses)

    def gzipped(self) -> int:
        """The bytes of the responses so far, gzipped (level 6, as GitHub Pages and nginx serve them)."""
        return sum(_gzipped(response) for response in self.responses if is_local(response.url))

    def problems(self) -> list[str]:
        problems = [f"console error: {error}" for error in self.errors]
        problems += [f"request to another host: {url}" for url in self.requests if not is_local(url)]
        return problems


@pytest.fixture(scope="module")
def _tabs(context: BrowserContext) -> dict[str, Tab]:
    tabs = {}
    for scheme, viewport in (("light", None), ("dark", PHONE)):
        page = context.new_page()
        page.emulate_media(color_scheme=scheme)  # the system's colour scheme, which the site follows
        if viewport:  # the dark tab is a phone: every page is also checked at a phone's width
            page.set_viewport_size(viewport)
        tabs[scheme] = Tab(page)
    return tabs


@pytest.fixture
def tabs(_tabs: dict[str, Tab]) -> dict[str, Tab]:
    """A tab whose system is in light mode, and one in dark mode."""
    for tab in _tabs.values():
        tab.clear()
    return _tabs


def _length(response: Response) -> int:
    return int(response.headers.get("content-length", "0") or 0)


_gzipped_sizes: dict[tuple[str, int], int] = {}  # the same stylesheet, script and index come with every page


def _gzipped(response: Response) -> int:
    key = (response.url, response.status)
    if key not in _gzipped_sizes:
        _gzipped_sizes[key] = len(gzip.compress(response.body(), 6))
    return _gzipped_sizes[key]


def _console(message: ConsoleMessage) -> str:
    where = message.location
    return f"{message.text} ({where.get('url', '?')}:{where.get('lineNumber', '?')})"


# ---------------------------------------------------------------- the code samples, copied and run


@dataclass
class Sample:
    """One code sample on a page: what its copy button gave, and the output the page shows for it."""

    page: str
    name: str  # its path below snippets/
    copied: str | None  # None: it has no copy button
    shown: list[tuple[str, str]]  # (stream, text) per output line, for the version it is run on
    minor: str  # the Python version it is run on: the tests' own, if the page shows its output
    run: Future[Run] | None = None


class Samples:
    """The samples of every page as a reader gets them, run in a background event loop as they come."""

    def __init__(self) -> None:
        self.by_page: dict[str, list[Sample]] = {}
        # Forked from a warm interpreter, like the snippet runs: a real process per run, without paying
        # start-up each time (tests/test_engine.py shows forked and fresh runs print the same).
        self.servers: dict[Interpreter, ForkServer] = {}
        self.loop = asyncio.new_event_loop()
        self.limit = asyncio.Semaphore(settings().concurrency)
        self.thread = threading.Thread(target=self.loop.run_forever, name="copied-samples", daemon=True)
        self.thread.start()

    def collect(self, page: Page, path: str) -> list[Sample]:
        """Copy every sample on ``page`` (showing ``path``) with its button, and start running each."""
        if path not in self.by_page:
            samples = [Sample(path, **found) for found in _copy_samples(page)]
            for sample in samples:
                sample.run = asyncio.run_coroutine_threadsafe(self._run(sample), self.loop)
            self.by_page[path] = samples
        return self.by_page[path]

    async def _run(self, sample: Sample) -> Run:
        snippet = settings().snippets_dir / sample.name
        timeout = parse(path_for(snippet)).timeout or settings().timeout
        interpreter: Interpreter = await asyncio.to_thread(find, sample.minor)
        server = self.servers.setdefault(interpreter, ForkServer(interpreter, environment()))
        with tempfile.TemporaryDirectory(prefix="copied-") as folder:
            copied = Path(folder) / snippet.name  # the same file name: tracebacks read the same
            copied.write_text(sample.copied + "\n", encoding="utf-8")
            async with self.limit:
                return await run_snippet(
                    copied, interpreter, timeout=timeout, max_lines=settings().max_lines,
                    max_bytes=settings().max_bytes, server=server,
                )  # fmt: skip

    def close(self) -> None:
        """Stops the runs no test waited for (killing their processes), then the loop."""
        asyncio.run_coroutine_threadsafe(self._stop_runs(), self.loop).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

    async def _stop_runs(self) -> None:
        runs = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        await asyncio.gather(*(server.close() for server in self.servers.values()))
        await self.loop.shutdown_default_executor()


# Each sample on the page: what its copy button puts on the clipboard, and its output as shown,
# per group of Python versions (a caption, or one tab per group where versions differ).
_COPY_SAMPLES = """async ({selector, clicked}) => {
  const samples = []
  for (const [index, block] of Array.from(document.querySelectorAll(selector)).entries()) {
    const title = block.querySelector(".filename").textContent
    if (!title.startsWith("snippets/")) continue
    const name = title.slice("snippets/".length)
    const button = block.querySelector("button.md-code__button[data-md-type=copy]")
    let copied = index === 0 ? clicked : null
    if (button && index > 0) {
      await navigator.clipboard.writeText("")
      button.click()
      copied = await navigator.clipboard.readText()
    }
    const outputs = []
    for (const output of document.querySelectorAll("div.snippet-output")) {
      if (output.dataset.snippet !== name) continue
      const tab = output.closest(".tabbed-block")
      let versions = output.querySelector(".snippet-caption")?.textContent.split("(")[0] ?? ""
      if (tab) {
        const labels = tab.closest(".tabbed-set").querySelector(".tabbed-labels").children
        versions = labels[Array.from(tab.parentElement.children).indexOf(tab)].textContent
      }
      const lines = Array.from(output.querySelectorAll("pre code .snippet-line"), (line) => {
        const text = line.cloneNode(true)
        text.querySelectorAll(".snippet-time, .snippet-sr").forEach((part) => part.remove())
        const stream = line.classList.contains("snippet-stderr") ? "err" : "out"
        return {stream, text: text.textContent, timed: line.querySelector(".snippet-time") !== null}
      })
      outputs.push({versions, lines})
    }
    samples.push({name, copied, outputs})
  }
  return samples
}"""
SAMPLE_BLOCK = "div.highlight:has(> span.filename)"
COPY_BUTTON = "button.md-code__button[data-md-type=copy]"


def _copy_samples(page: Page) -> list[dict]:
    """Every sample on ``page``: copied with its button, with the output shown for the Python it is run on."""
    clicked = None
    first = page.locator(SAMPLE_BLOCK).first
    if first.count():  # the first with the mouse, as a reader does (the button must show and take the click)
        page.bring_to_front()  # a tab in the background gets no animation frames: clicks would wait
        page.evaluate("navigator.clipboard.writeText('')")
        first.hover()
        first.locator(COPY_BUTTON).click(timeout=5000)
        clicked = page.evaluate("navigator.clipboard.readText()")
    found = []
    for sample in page.evaluate(_COPY_SAMPLES, {"selector": SAMPLE_BLOCK, "clicked": clicked}):
        outputs = sample["outputs"]
        chosen = next((o for o in outputs if RUNNING in re.findall(r"\d+\.\d+", o["versions"])), None)
        minor = RUNNING
        if chosen is None and outputs:  # not checked on this Python (it needs a newer one): the oldest it is
            chosen = outputs[0]
            minor = (re.findall(r"\d+\.\d+", chosen["versions"]) or [RUNNING])[0]
        lines = chosen["lines"] if chosen else []
        if len(lines) == 1 and not lines[0]["timed"]:
            lines = []  # "(no output)"
        shown = [(line["stream"], line["text"].removeprefix(" ")) for line in lines]
        found.append({"name": sample["name"], "copied": sample["copied"], "shown": shown, "minor": minor})
    return found


@pytest.fixture(scope="session")
def samples() -> Iterator[Samples]:
    samples = Samples()
    yield samples
    samples.close()


# ---------------------------------------------------------------- the tests


def test_every_built_page_is_tested_and_in_the_sitemap(built_site: Path) -> None:
    pages = built_site.rglob("index.html")
    built = {"".join(f"{part}/" for part in page.relative_to(built_site).parent.parts) for page in pages}
    assert built == set(PAGES), "pages built but not tested, or tested but not built"
    assert (built_site / "404.html").is_file()
    in_sitemap = {
        urlsplit(loc.text.strip()).path.removeprefix(base_path(built_site))
        for loc in ET.parse(built_site / "sitemap.xml").getroot().findall("{*}url/{*}loc")
    }
    assert in_sitemap == set(PAGES), "sitemap.xml does not list exactly the pages"


_DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)"')


def test_every_page_has_its_own_description_an_edit_link_and_the_repository(built_site: Path) -> None:
    """What search engines and link previews show, and the way from a page to its source."""
    site_description = _DESCRIPTION.search((built_site / "404.html").read_text(encoding="utf-8"))
    problems = []
    for path, source in SOURCES.items():
        html = (built_site / path / "index.html").read_text(encoding="utf-8")
        description = _DESCRIPTION.search(html)
        if not description or not description[1].strip():
            problems.append(f"docs/{source}: no description")
        elif site_description and description[1] == site_description[1]:
            problems.append(
                f"docs/{source}: the site's description; give the page its own (`description:` in its front matter)"
            )
        if not re.search(rf'<a href="[^"]*/docs/{re.escape(source)}"[^>]*rel="edit"', html):
            problems.append(f"docs/{source}: no 'Edit this page' link")
        if 'class="md-source"' not in html:
            problems.append(f"docs/{source}: no link to the repository")
    assert not problems, "\n".join(problems)


# A code block is hundreds of coloured tokens, and axe-core checks the contrast of each: a token of the
# same kind, in the same kind of block, has the same colours, so only the first shown is checked.
_MARK_SAME_TOKENS = """() => {
  const seen = new Set()
  for (const token of document.querySelectorAll(".highlight code span, .snippet-output code span")) {
    if (!token.checkVisibility()) continue
    const block = token.closest(".highlight, .snippet-output")
    const kind = [block.className, token.parentElement.className, token.className].join("|")
    if (seen.has(kind)) token.setAttribute("data-axe-same", "")
    seen.add(kind)
  }
}"""


def _start_axe(page: Page, options: dict) -> None:
    """Starts axe-core on ``page`` without waiting for it, so two pages can be checked at once."""
    page.evaluate(_MARK_SAME_TOKENS)
    # From a task of its own (a message: a timer would wait in a background tab), so this returns at once.
    page.evaluate(
        """(options) => { window.axeResults = new Promise((resolve, reject) => {
            const channel = new MessageChannel()
            channel.port1.onmessage = () => axe.run({exclude: [["[data-axe-same]"]]}, options).then(resolve, reject)
            channel.port2.postMessage(null)
        }) }""",
        {"resultTypes": ["violations"], **options},
    )


def _axe_results(page: Page) -> AxeResults:
    return AxeResults(page.evaluate("() => window.axeResults"))


def axe_report(results: AxeResults) -> str:
    """axe-core's violations, each node named by its selector, through shadow roots too ("host >>> inner"):
    ``AxeResults.generate_report`` fails on such a node's target, a list within the list."""
    lines = []
    for violation in results.response["violations"]:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " | ".join(" >>> ".join(part) if isinstance(part, list) else part for part in node["target"])
            lines.append(f"  {target}: {node['html'][:300]}")
            lines += [
                f"    * {check['message']}"
                for check in node.get("any", []) + node.get("all", []) + node.get("none", [])
            ]
    return "\n".join(lines)


# The replay's script is deferred: on a slow network its controls come after the first paint, so they must
# take no room (the stylesheet keeps it for them). Here they come before it, so it is not a layout shift that
# tells: what moves when they are taken out, and what each overlaps.
REPLAYABLE = """() => Array.from(document.querySelectorAll("div.snippet-output"))
  .filter((output) => output.querySelector(".snippet-line .snippet-time, svg.tl"))"""
ALL_CONTROLS = f"""() => ({REPLAYABLE})().length === document.querySelectorAll(".snippet-replay").length"""
_MOVED = """() => {
  const controls = Array.from(document.querySelectorAll(".snippet-replay"))
  const overlaps = controls.filter((control) => {
    const box = control.getBoundingClientRect(), before = control.previousElementSibling
    const pre = control.nextElementSibling.getBoundingClientRect()
    return box.height && (box.bottom > pre.top || (before && box.top < before.getBoundingClientRect().bottom))
  }).map((control) => control.closest(".snippet-output").dataset.snippet)
  const blocks = Array.from(document.querySelectorAll("div.snippet-output"))
  const where = () => blocks.map((block) => Array.from(block.children, (child) => child.matches(".snippet-replay")
    ? null : child.getBoundingClientRect().top + scrollY).filter((top) => top !== null).join(" "))
  const withControls = where(), places = controls.map((control) => [control, control.nextElementSibling])
  controls.forEach((control) => control.remove())
  const without = where()
  places.forEach(([control, next]) => next.before(control))
  const moving = blocks.filter((block, i) => withControls[i] !== without[i]).map((block) => block.dataset.snippet)
  return {overlaps, moving}
}"""


@pytest.mark.parametrize("path", [*PAGES, MISSING], ids=[*map(_id, PAGES), MISSING])
def test_page_in_light_and_dark(path: str, tabs: dict[str, Tab], site_url: str, samples: Samples) -> None:
    """Loads with no error, asks no other host, is accessible in both schemes, and is light enough."""
    url = site_url + ("no-such-page/" if path == MISSING else path)
    status = HTTPStatus.NOT_FOUND if path == MISSING else HTTPStatus.OK
    light, dark = tabs["light"], tabs["dark"]
    # Both load at once: the dark tab's goto returns when its page starts to come, the light one's when loaded.
    responses = {"dark": dark.page.goto(url, wait_until="commit"), "light": light.page.goto(url)}
    dark.page.wait_for_load_state()
    for scheme, material in (("light", "default"), ("dark", "slate")):
        tab, response = tabs[scheme], responses[scheme]
        assert response is not None
        assert response.status == status, f"{url}: status {response.status}"
        # Material follows the system's scheme: by the time the page has loaded, it really is light, or dark.
        shown = tab.page.evaluate("() => document.body.dataset.mdColorScheme")
        assert shown == material, f"{url}: a {scheme} system gets Material's {shown!r} scheme, not {material!r}"
        if path == MISSING:
            assert tab.page.locator("h1").inner_text() == "404 - Not found"
            # Its one console error is its own status: "Failed to load resource: ... 404 (Not Found) (url:0)".
            own = f"Failed to load resource: the server responded with a status of 404 (Not Found) ({url}:"
            tab.errors = [error for error in tab.errors if not error.startswith(own)]
    _start_axe(light.page, {})  # every rule
    _start_axe(dark.page, {"runOnly": {"type": "rule", "values": COLOUR_RULES}})  # only colours differ
    # What loads with no click: the page, and what it fetches after its load event (the search index).
    light.page.wait_for_load_state("networkidle")
    first_visit = light.gzipped()
    problems = []
    for scheme, tab in (("light", light), ("dark", dark)):
        result = _axe_results(tab.page)
        if result.violations_count:
            problems.append(f"axe-core, {scheme} mode: {axe_report(result)}")
        with contextlib.suppress(PlaywrightTimeoutError):  # they come one per idle moment after the load
            tab.page.wait_for_function(ALL_CONTROLS, timeout=5000)
        if not tab.page.evaluate(ALL_CONTROLS):
            problems.append(f"{scheme} mode: an output with times has no Replay control 5 s after the load")
        layout = tab.page.evaluate(_MOVED)
        problems += [f"{scheme} mode: the Replay of snippets/{name} overlaps the page" for name in layout["overlaps"]]
        problems += [f"{scheme} mode: the Replay of snippets/{name} moves what follows it" for name in layout["moving"]]
    if path != MISSING:
        samples.collect(light.page, path)  # they run while the other pages are checked
    for scheme, tab in (("light", light), ("dark", dark)):
        problems += [f"{scheme} mode: {problem}" for problem in tab.problems()]
    if light.bytes > PAGE_WEIGHT_LIMIT:
        problems.append(f"a first visit loads {light.bytes:,} bytes, more than {PAGE_WEIGHT_LIMIT:,}")
    if first_visit > GZIPPED_LIMIT:
        problems.append(f"before any click, a first visit loads {first_visit:,} bytes gzipped, over {GZIPPED_LIMIT:,}")
    assert not problems, f"{url}:\n" + "\n".join(problems)


@dataclass(frozen=True)
class SearchUI:
    """Where a builder's search is, for the keyboard: CSS selectors (Playwright's reach into shadow roots) and
    scripts that give the results' addresses, in the order listed, and the one the keyboard has chosen."""

    opener: str  # what Tab from the top reaches: the box itself, or a button that opens it
    box: str
    results: str
    chosen: str
    to_first: tuple[str, ...]  # the keys that take the box to the first result

    @property
    def listed(self) -> str:
        return f"() => ({_DEEP})({self.results!r}).map((a) => a.href)"

    @property
    def answers(self) -> str:
        """Whether the first result listed answers a query, not the letters typed before its end: both builders
        give the query in its address, "?h=" (Material as the words it matched: "PriorityQueue", "priority+queue")."""
        return f"""(query) => {{ const first = ({self.listed})()[0]
          const letters = (text) => text.replace(/[^\\p{{L}}\\p{{N}}]/gu, "").toLowerCase()
          return first !== undefined && letters(new URL(first).searchParams.get("h") || "") === letters(query) }}"""


# Every element matching a selector, in the document and in every shadow root within it.
_DEEP = """(selector) => { const found = []
  const visit = (root) => { found.push(...root.querySelectorAll(selector))
    root.querySelectorAll("*").forEach((element) => element.shadowRoot && visit(element.shadowRoot)) }
  visit(document); return found }"""
_ZENSICAL_BOX = "dialog[open] input[role=combobox]"
SEARCHES_BY_BUILDER = {
    # Material: a box in the header; ArrowDown moves the focus to the first result's link.
    "mkdocs": SearchUI(
        opener="input.md-search__input",
        box="input.md-search__input",
        results=".md-search-result__list > .md-search-result__item > a.md-search-result__link",
        chosen="() => document.activeElement.matches('a.md-search-result__link') && document.activeElement.href",
        to_first=("ArrowDown",),
    ),
    # Zensical: a button that opens its own dialog (in a shadow root); the box keeps the focus and names the
    # chosen result in aria-activedescendant, as a combobox does for a screen reader.
    "zensical": SearchUI(
        opener="button.md-search__button",
        box=_ZENSICAL_BOX,
        results="dialog[open] ol[role=listbox] a[role=option]",
        chosen=f"""() => {{ const box = ({_DEEP})({_ZENSICAL_BOX!r})[0]
          const chosen = box && box.getRootNode().getElementById(box.getAttribute("aria-activedescendant"))
          return chosen ? chosen.href : null }}""",
        to_first=(),
    ),
}
SEARCH = SEARCHES_BY_BUILDER.get(BUILDER, SEARCHES_BY_BUILDER["mkdocs"])  # another name fails the session


def test_keyboard_reaches_content_and_search(tabs: dict[str, Tab], site_url: str) -> None:
    """From the home page (the keys are the theme's, the same on every page)."""
    tab = tabs["light"]
    page = tab.page
    page.goto(site_url)
    active = "() => document.activeElement"

    # The first Tab: "Skip to content", which takes the next Tab into the page's text.
    page.keyboard.press("Tab")
    skip = page.evaluate_handle(active)
    assert skip.evaluate("(e) => e.matches('a.md-skip')"), "the first Tab does not reach 'Skip to content'"
    assert skip.evaluate("(e) => e.textContent.trim()") == "Skip to content"
    target = skip.evaluate("(e) => e.getAttribute('href')")
    page.keyboard.press("Enter")
    # The jump to the anchor lands a moment after the key press (later still on a loaded machine).
    page.wait_for_function("(target) => location.hash === target", arg=target, timeout=10_000)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('article.md-content__inner') !== null"), (
        "after 'Skip to content', Tab does not land in the main content: "
        + page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    )

    # Search, by Tab from the top ...
    page.goto(site_url)
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.locator(SEARCH.opener).evaluate("(e) => e.matches(':focus')"):
            break
    else:
        pytest.fail(f"ten presses of Tab from the top do not reach {SEARCH.opener}")
    box = page.locator(SEARCH.box)
    if SEARCH.opener != SEARCH.box:
        page.keyboard.press("Enter")
        box.wait_for(timeout=10_000)
        assert box.evaluate("(e) => e.matches(':focus')"), f"Enter on {SEARCH.opener} does not focus the search box"
        page.keyboard.press("Escape")
        box.wait_for(state="detached")

    # ... and by its shortcut, "/": type, go to the first result, open it.
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("/")
    box.wait_for(timeout=10_000)
    assert box.evaluate("(e) => e.matches(':focus')"), "'/' does not focus search"
    page.keyboard.type("asyncio")
    # Search starts as the first letter lands: wait for the whole word's results (each result's address
    # carries the query it answers in "?h="), not for the "a" results a slow machine lists first.
    page.wait_for_function(SEARCH.answers, arg="asyncio", timeout=10_000)
    first = page.evaluate(SEARCH.listed)[0]
    for key in SEARCH.to_first:
        page.keyboard.press(key)
    chosen = page.evaluate(SEARCH.chosen)
    keys = " then ".join(SEARCH.to_first) or "no key"
    assert chosen == first, f"{keys} from the search box chooses {chosen}, not the first result, {first}"
    page.keyboard.press("Enter")
    page.wait_for_url(first)
    assert not tab.problems(), "\n".join(tab.problems())


# Issue 13's chapters, each found by its main API name: the query a reader types, and the page
# search must list first. The review record ("Claims checked") quotes every claim and so names
# every API; it is passed over, never counted as the answer.
SEARCHES = {
    "event loop": "event-loop/",
    "Barrier": "coordination/",
    "PriorityQueue": "coordination/",
    "rate limit": "coordination/",
    "open_connection": "fetch-many/",
    "QueueShutDown": "pipelines/",
    "set_exception_handler": "unawaited-errors/",
    "timeout TaskGroup": "group-timeouts/",
    "run_coroutine_threadsafe": "leaving-asyncio/",
    "KeyboardInterrupt": "shutdown/",
}
# Each listed page's address, without search's "?h=" highlight and "#section".
_FIRST_RESULTS = f"""() => ({SEARCH.listed})().map((href) => href.split(/[?#]/)[0])
  .filter((href) => !href.endsWith("/review/"))"""


@pytest.fixture(scope="module")
def search_box(_tabs: dict[str, Tab], site_url: str) -> Page:
    """One page load for every query: the home page, its search open."""
    page = _tabs["light"].page
    page.goto(site_url)
    page.keyboard.press("/")
    page.locator(SEARCH.box).wait_for(timeout=10_000)
    return page


@pytest.mark.parametrize(("query", "expected"), SEARCHES.items(), ids=list(SEARCHES))
def test_search_finds_each_new_chapter_by_its_main_api(search_box: Page, site_url: str, query: str, expected: str):
    page = search_box
    box = page.locator(SEARCH.box)
    box.focus()
    box.fill("")  # no results: what is listed next is this query's
    page.wait_for_function(f"() => ({_FIRST_RESULTS})().length === 0")
    page.keyboard.type(query)
    # The whole query's results, not those of the letters typed so far (a word's start may list the page).
    answered = True
    try:
        page.wait_for_function(SEARCH.answers, arg=query, timeout=10_000)
    except PlaywrightTimeoutError:
        answered = False
    listed = [href.removeprefix(site_url) for href in page.evaluate(_FIRST_RESULTS)]
    assert answered, f"search for {query!r}: in 10 s no first result answers all of it; listed: {listed[:5]}"
    assert listed[:1] == [expected], f"search for {query!r} lists {listed[:5]} first, not {expected}"


@pytest.mark.parametrize("snippet", [label(snippet) for snippet in discover()])
def test_copy_button_gives_the_code_and_it_prints_what_the_page_shows(
    snippet: str, samples: Samples, context: BrowserContext, site_url: str
) -> None:
    for path in PAGES:  # pages the page test did not get to (run alone, say) are copied now
        if path not in samples.by_page:
            page = context.new_page()
            page.goto(site_url + path)
            samples.collect(page, path)
            page.close()
    found = [sample for page_samples in samples.by_page.values() for sample in page_samples if sample.name == snippet]
    assert found, f"snippets/{snippet} is on no page with a copy button"
    source = (settings().snippets_dir / snippet).read_text(encoding="utf-8")
    for sample in found:
        where = f"{sample.page or 'home'}: snippets/{snippet}"
        assert sample.copied is not None, f"{where}: no copy button"
        assert sample.copied.rstrip("\n") == source.rstrip("\n"), (
            f"{where}: the copy button gives other text\n"
            + "\n".join(
                difflib.unified_diff(source.splitlines(), sample.copied.splitlines(), "file", "clipboard", lineterm="")
            )
        )
        run = sample.run.result(timeout=settings().timeout * 3)
        assert run.problem is None, f"{where}: {run.problem}"
        printed = [(line.stream, line.text) for line in run.lines]
        if printed != sample.shown:
            diff = difflib.unified_diff(
                [f"{'!' if s == 'err' else '|'} {t}" for s, t in sample.shown],
                [f"{'!' if s == 'err' else '|'} {t}" for s, t in printed],
                "shown on the page", f"printed by the copied code on Python {run.python}", lineterm="",
            )  # fmt: skip
            pytest.fail(f"{where}: the copied code prints something else\n" + "\n".join(diff), pytrace=False)


# ---------------------------------------------------------------- JSPI, for the in-page runner


def test_the_browser_found_runs_webassembly_that_awaits_a_promise(after_snippet_runs, browser: Browser) -> None:
    """JSPI, which the in-page runner needs: checked in the browser the tests use, not assumed from its version."""
    found = browsers.find()
    assert browsers.has_jspi(browser), f"{found.version} ({found.path}, from {found.source}) has no working JSPI"


@pytest.mark.parametrize(
    "breakage",
    ["delete WebAssembly.Suspending", "WebAssembly.Suspending = function () {}", "delete WebAssembly.promising"],
)
def test_jspi_missing_or_broken_is_reported(after_snippet_runs, browser: Browser, breakage: str) -> None:
    context = browser.new_context()
    try:
        context.add_init_script(breakage)
        assert browsers.has_jspi(context) is False
    finally:
        context.close()
