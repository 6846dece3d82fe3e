"""The ▶ Replay of each output (docs/javascripts/replay.js), in Chromium, and what the build gives it.

One page is loaded once, and one short sample on it is replayed: its lines must come back in
order, each within 0.1 s of its recorded time (scaled by the speed), the timeline's cursor and
bars must follow, and keyboard, screen readers, reduced motion and axe-core must be served.
Times are read inside the page (a MutationObserver and ``performance.now()``), so the test's
own round trips to the browser do not count. The expected times come from the sample's ``.out``.
"""

from __future__ import annotations

import contextlib
import gzip
import re
from collections.abc import Callable, Iterator
from html import unescape
from pathlib import Path

import pytest
from axe_playwright_python.base import AxeResults
from playwright.sync_api import BrowserContext
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from test_browser import ALL_CONTROLS, COPY_BUTTON, REPLAYABLE, SOURCES, Tab, axe_report

from conftest import ROOT
from snippet_engine.config import settings
from snippet_engine.expected import parse, path_for

in_chromium = pytest.mark.browser
SAMPLE = "gather/many_with_star.py"  # short (1.25 s), four distinct times, a bar per task ending at each
SCRIPT = ROOT / "docs/javascripts/replay.js"  # every page loads it deferred (mkdocs.yml: extra_javascript)
STYLESHEET = ROOT / "docs/stylesheets/snippets.css"
# Its look, and the room its control takes, in the stylesheet every page has before its first paint.
STYLE = re.compile(r"/\* replay: begin\b.*?/\* replay: end \*/\n?", re.S)
SCRIPT_TAG = re.compile(r'\s*<script src="[^"]*javascripts/replay\.js" defer></script>')
# What the replay reads in a page (fence.py and timeline.py write it for the reader, replay.js reads it back):
LINE_TIME = re.compile(r'<span class="snippet-time">\s*\d+\.\d\d s</span>')  # each output line's
TIME = r"(?:0|\d+\.\d\d)"
TASK_TIMES = re.compile(rf" (?:{TIME}\u2013{TIME}|at {TIME}|from {TIME}) s(?:, [a-z ]+)?$")  # a task <title>'s end
MARK_TIME = re.compile(rf"^{TIME} s, ")  # a printed-line mark's <title>
WEIGHT_LIMIT = 5 * 1024  # bytes, gzipped, that the replay may add to a page
SLACK = 0.1  # seconds a line may be off its recorded time, divided by the speed


def _page_of(sample: str) -> str:
    fence = re.compile(rf"^```snippet[^\n]*\n{re.escape(sample)}\n```", re.M)
    for path, source in SOURCES.items():
        if fence.search((ROOT / "docs" / source).read_text(encoding="utf-8")):
            return path
    pytest.fail(f"snippets/{SAMPLE} is on no page: choose another short sample for tests/test_replay.py")


EXPECTED = parse(path_for(settings().snippets_dir / SAMPLE)).variants[0]


def without_replay(html: str) -> str:
    """A built page as it would be without the replay: its one script tag out (it reads what the page shows)."""
    html, tags = SCRIPT_TAG.subn("", html)
    if tags != 1:
        raise ValueError(f"{tags} <script> tags of replay.js, not 1: has mkdocs.yml's extra_javascript changed?")
    return html


# In the page: every press of the sample's Replay button starts a record of what the output then did.
_RECORD = """(name) => {
  const block = document.querySelector(`div.snippet-output[data-snippet="${name}"]`)
  const code = block.querySelector("pre code"), svg = block.querySelector("svg.tl")
  const lines = Array.from(code.querySelectorAll(".snippet-line"))
  const bars = Array.from(svg.querySelectorAll(".tl-task .tl-bar"))
  const full = bars.map((bar) => parseFloat(bar.getAttribute("width")))
  window.replays = []
  window.replayed = {html: code.innerHTML, full}
  const state = () => ({
    cursor: parseFloat(svg.querySelector(".tl-cursor")?.getAttribute("x1")),
    widths: bars.map((bar) => parseFloat(bar.getAttribute("width"))),
  })
  document.addEventListener("click", (event) => {  // capture: before the script's own listener
    if (event.target.closest?.(".snippet-replay button") && block.contains(event.target))
      window.replays.push({pressed: performance.now(), cleared: null, lines: []})
  }, true)
  new MutationObserver((mutations) => {
    const replay = window.replays.at(-1)
    if (!replay) return
    const now = performance.now()
    for (const mutation of mutations) {
      if (mutation.removedNodes.length && !code.querySelector(".snippet-line") && replay.cleared === null)
        replay.cleared = now - replay.pressed
      for (const node of mutation.addedNodes)
        if (lines.includes(node)) replay.lines.push({index: lines.indexOf(node), at: now - replay.pressed, ...state()})
    }
  }).observe(code, {childList: true})
  const axis = svg.querySelector(".tl-axis-line"), ticks = svg.querySelectorAll(".tl-axis text")
  return {x0: parseFloat(axis.getAttribute("x1")), x1: parseFloat(axis.getAttribute("x2")),
          span: parseFloat(ticks[ticks.length - 1].textContent)}
}"""


@pytest.fixture(scope="module")
def replay(context: BrowserContext, site_url: str) -> Iterator[Replay]:
    """The page showing the sample, loaded once for every test of the replay."""
    page = context.new_page()
    tab = Tab(page)
    page.goto(site_url + _page_of(SAMPLE))
    yield Replay(tab, page.evaluate(_RECORD, SAMPLE))
    page.close()


class Replay:
    def __init__(self, tab: Tab, axis: dict) -> None:
        self.tab, self.page, self.axis = tab, tab.page, axis
        block = self.page.locator(f'div.snippet-output[data-snippet="{SAMPLE}"]')
        self.button = block.locator(".snippet-replay button")
        self.speed = block.locator(".snippet-replay select")
        self.code = block.locator("pre code")

    def press(self, speed: str) -> None:
        self.speed.select_option(speed)
        self.button.click()

    def wait_for_lines(self, count: int, *, timeout: float) -> dict:
        """The current replay, once ``count`` lines have come back."""
        self.page.wait_for_function(
            "(count) => window.replays.at(-1)?.lines.length >= count", arg=count, timeout=timeout * 1000
        )
        return self.page.evaluate("() => window.replays.at(-1)")

    def seconds(self, x: float) -> float:
        """The run's time at ``x`` on the timeline."""
        return (x - self.axis["x0"]) / (self.axis["x1"] - self.axis["x0"]) * self.axis["span"]


def _out_of_order(replay: dict) -> list[str]:
    indices = [line["index"] for line in replay["lines"]]
    return [] if indices == list(range(len(indices))) else [f"lines came back in the order {indices}"]


def _off_time(replay: dict, speed: float) -> list[str]:
    """Lines that came back more than SLACK off their recorded time at ``speed``."""
    problems = []
    for line in replay["lines"]:
        recorded = EXPECTED.lines[line["index"]]
        due, came = recorded.time / speed, line["at"] / 1000
        if abs(came - due) > SLACK:
            problems.append(
                f"{recorded.text!r}, recorded at {recorded.time:.2f} s, came at {came:.3f}, due {due:.3f} s"
            )
    return problems


def _in_time(run: Callable[[], list[tuple[dict, float]]]) -> list[dict]:
    """The replays ``run()`` made, each checked against its speed. As the engine checks a run late only on time
    once more, so is this: a page starved of CPU by a busy machine draws late once, a wrong clock every time."""
    problems: list[str] = []
    for attempt in ("", "again: "):
        replays = run()
        for record, _ in replays:
            assert not _out_of_order(record), _out_of_order(record)[0]
        found = [problem for record, speed in replays for problem in _off_time(record, speed)]
        if not found:
            return [record for record, _ in replays]
        problems += [attempt + problem for problem in found]
    pytest.fail("\n".join(problems), pytrace=False)


@in_chromium
def test_lines_come_back_in_order_at_their_recorded_times_and_the_timeline_follows(replay: Replay) -> None:
    """At double speed (a short sample, the times halved): the timing claim, the cursor and the bars."""
    replay.tab.clear()

    def run() -> list[tuple[dict, float]]:
        replay.press("2")
        return [(replay.wait_for_lines(len(EXPECTED.lines), timeout=10), 2)]

    [done] = _in_time(run)
    assert done["cleared"] is not None, "the output was not cleared at the press"
    assert done["cleared"] < 100, f"the output was cleared {done['cleared']:.0f} ms after the press"
    before = replay.page.evaluate("() => window.replayed")
    starts = [task.created for task in EXPECTED.tasks]  # each bar's task, from the .out
    ends = [task.finished if task.how is not None and task.finished is not None else None for task in EXPECTED.tasks]
    for line in done["lines"]:
        when = EXPECTED.lines[line["index"]].time
        cursor = replay.seconds(line["cursor"])
        # The cursor is where the line is, give or take a frame (in the run's time: twice the wall-clock slack).
        assert when - 0.01 <= cursor <= when + 2 * SLACK, f"the cursor is at {cursor:.2f} s when {when:.2f} s shows"
        for width, full, start, end in zip(line["widths"], before["full"], starts, ends, strict=True):
            if end is None:
                continue
            if end <= when:
                assert width == pytest.approx(full, abs=0.1), f"a task that ended at {end} s is not full at {when} s"
            elif start < when:
                assert 0 < width < full, f"a task running at {when} s ({start}-{end} s) is not partly filled"
    # At the end it is the page as built.
    replay.page.wait_for_function("() => !document.querySelector('.tl-running')", timeout=5000)
    assert replay.code.evaluate("(code) => code.innerHTML") == before["html"]
    assert not replay.tab.problems(), "\n".join(replay.tab.problems())


@in_chromium
def test_half_speed_doubles_the_times_and_a_second_press_restarts(replay: Replay) -> None:
    replay.tab.clear()

    def run() -> list[tuple[dict, float]]:
        replay.press("0.5")
        first = replay.wait_for_lines(1, timeout=10)
        replay.button.click()  # mid-replay: it starts again from the top, at the speed chosen
        # Two lines at half speed (1.0 and 1.5 s after the press) prove the scale: the rest would only add time.
        return [(first, 0.5), (replay.wait_for_lines(2, timeout=15), 0.5)]

    first, again = _in_time(run)
    assert again["pressed"] > first["pressed"], "the second press started no replay"
    assert again["cleared"] is not None, "the second press did not clear the output"
    assert not replay.tab.problems(), "\n".join(replay.tab.problems())


@in_chromium
def test_with_reduced_motion_a_press_shows_everything_at_once(replay: Replay) -> None:
    replay.page.emulate_media(reduced_motion="reduce")
    try:
        at_once = replay.button.evaluate("""(button) => {
            button.click()
            const block = button.closest(".snippet-output"), svg = block.querySelector("svg.tl")
            return {html: block.querySelector("pre code").innerHTML,
                    cursor: svg.querySelector(".tl-cursor").getAttribute("x1"),
                    running: svg.querySelectorAll(".tl-running, .tl-later").length}
        }""")
    finally:
        replay.page.emulate_media(reduced_motion="no-preference")
    assert at_once["html"] == replay.page.evaluate("() => window.replayed.html"), "not every line shows at once"
    assert replay.seconds(float(at_once["cursor"])) == pytest.approx(EXPECTED.lines[-1].time, abs=0.01)
    assert at_once["running"] == 0, "bars or marks are still waiting for their time"


_AXE_DURING_REPLAY = """async (name) => {
  const block = document.querySelector(`div.snippet-output[data-snippet='${name}']`)
  const replaying = () => block.querySelectorAll(".tl-running").length > 0
  // The replay holds still (its next frames wait) while axe-core looks: on a busy machine axe-core can take
  // longer than the replay, and it is the page in mid-replay that is checked.
  const frame = window.requestAnimationFrame, held = []
  window.requestAnimationFrame = (callback) => held.push(callback)
  try {
    await new Promise((resolve) => frame(() => frame(resolve)))  // a frame the replay drew before it was held
    const before = replaying(), started = performance.now()
    const results = await axe.run({include: [[`div.snippet-output[data-snippet='${name}']`]]},
                                  {resultTypes: ["violations"]})
    return {results, before, after: replaying(), took: performance.now() - started}
  } finally {
    window.requestAnimationFrame = frame
    held.forEach((callback) => frame(callback))
  }
}"""


@in_chromium
def test_the_keyboard_reaches_it_screen_readers_hear_it_and_axe_finds_nothing_during_a_replay(replay: Replay) -> None:
    replay.tab.clear()
    page = replay.page
    # From the copy button of the sample's code, Tab reaches the control within a few presses, then its speed.
    page.evaluate("() => document.activeElement?.blur()")
    page.locator(f'.highlight:has(span.filename:text-is("snippets/{SAMPLE}")) {COPY_BUTTON}').focus()
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('.snippet-replay button')"):
            break
    else:
        pytest.fail("Tab from the sample's copy button does not reach its Replay button")
    assert page.evaluate("() => document.activeElement.closest('.snippet-output').dataset.snippet") == SAMPLE
    page.keyboard.press("Tab")
    speed = "() => document.activeElement.matches('.snippet-replay select')"
    assert page.evaluate(speed), "Tab from the Replay button does not reach its speed"
    name = f"Replay the output of snippets/{SAMPLE}"
    assert page.get_by_role("button", name=name, exact=True).count() == 1, f"no button named {name!r}"
    assert page.get_by_role("combobox", name="Replay speed").count() >= 1
    assert replay.code.get_attribute("aria-live") == "polite"
    replay.speed.select_option("1")
    replay.button.focus()
    page.keyboard.press("Enter")
    replay.wait_for_lines(1, timeout=10)  # mid-replay: a line back, the others to come, bars part filled
    checked = page.evaluate(_AXE_DURING_REPLAY, SAMPLE)
    assert checked["before"], "the replay was over before axe-core started: it checked no replay"
    assert checked["after"], f"the replay went on while axe-core ({checked['took']:.0f} ms) checked it"
    results = AxeResults(checked["results"])
    assert not results.violations_count, axe_report(results)
    assert not replay.tab.problems(), "\n".join(replay.tab.problems())


@in_chromium
def test_every_output_on_the_page_gets_a_replay(replay: Replay) -> None:
    """Nothing to do for a new sample: each output with lines or a timeline has a control."""
    with contextlib.suppress(PlaywrightTimeoutError):  # the controls come one per idle moment after the load
        replay.page.wait_for_function(ALL_CONTROLS, timeout=5000)
    counts = replay.page.evaluate(
        f"""() => [({REPLAYABLE})().length, document.querySelectorAll(".snippet-replay button").length]"""
    )
    assert counts[0] > 1, "this page was chosen for its many outputs"
    assert counts[0] == counts[1], f"{counts[0]} outputs to replay, {counts[1]} Replay buttons"


@in_chromium
def test_leaving_mid_replay_leaves_no_error(replay: Replay) -> None:
    replay.tab.clear()
    page = replay.page
    replay.press("1")
    replay.wait_for_lines(1, timeout=10)
    # Taken off the page, as Material's instant navigation does, then the page itself is left.
    page.evaluate("() => document.querySelector('.md-content').remove()")
    page.wait_for_timeout(200)
    page.goto("about:blank")
    page.wait_for_timeout(200)
    assert not replay.tab.problems(), "\n".join(replay.tab.problems())


def test_every_output_of_the_site_carries_what_the_replay_needs(built_site: Path) -> None:
    """The replay reads the times the page shows, so every sample, new ones too, gets it with no work; a page
    carries nothing else for it but its one deferred script tag."""
    problems = []
    if (built_site / "javascripts/replay.js").read_bytes() != SCRIPT.read_bytes():
        problems.append("the site's javascripts/replay.js is not docs/javascripts/replay.js")
    if not STYLE.search((built_site / "stylesheets/snippets.css").read_text(encoding="utf-8")):
        problems.append("the site's stylesheets/snippets.css has no replay part")
    for page in sorted(built_site.rglob("index.html")):
        html = page.read_text(encoding="utf-8")
        where = page.relative_to(built_site).parent.as_posix() or "home"
        if "snippet-output" not in html:
            continue
        if (scripts := len(SCRIPT_TAG.findall(html))) != 1:
            problems.append(f"{where}: not one deferred <script> of replay.js, but {scripts}")
        for line in re.findall(r'<span class="snippet-line[^"]*">.*?</span>', html):
            if "(no output)" not in line and not LINE_TIME.search(line):
                problems.append(f"{where}: a line without its time: {line}")
        for svg in re.findall(r'<svg class="tl".*?</svg>', html, re.S):
            ticks = re.findall(
                r'<text class="tl-muted"[^>]*>([^<]*)</text>', svg.split('<g class="tl-axis">')[-1].split("</g>")[0]
            )
            if '<line class="tl-axis-line" x1=' not in svg or not ticks or not re.fullmatch(r"[\d.]+ s", ticks[-1]):
                problems.append(f"{where}: a timeline without its axis and last tick in seconds")
            for kind, group, pattern in (("task", "tl-task", TASK_TIMES), ("mark", "tl-print", MARK_TIME)):
                for title in re.findall(rf'<g class="{group}[^"]*">\s*<title>([^<]*)</title>', svg):
                    if not pattern.search(unescape(title)):
                        problems.append(f"{where}: a {kind} whose <title> does not give its times: {title}")
    assert not problems, "\n".join(problems[:20])


def test_the_replay_adds_under_5_kb_gzipped(built_site: Path) -> None:
    """To the heaviest page: its script and style, and what it puts in the page."""
    style = STYLE.search(STYLESHEET.read_text(encoding="utf-8"))
    assert style, f"{STYLESHEET.relative_to(ROOT)}: no part between /* replay: begin and /* replay: end */"
    files = len(gzip.compress(SCRIPT.read_bytes(), 6)) + len(gzip.compress(style[0].encode(), 6))
    added = {}
    for page in built_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if "snippet-output" in html:
            gzipped = (len(gzip.compress(text.encode(), 6)) for text in (html, without_replay(html)))
            added[page.relative_to(built_site).as_posix()] = next(gzipped) - next(gzipped)
    heaviest = max(added, key=added.get)
    size = files + added[heaviest]
    assert size < WEIGHT_LIMIT, (
        f"the replay adds {size:,} bytes gzipped to {heaviest}, more than {WEIGHT_LIMIT:,}: "
        f"{files:,} for replay.js and its style, {added[heaviest]:,} in the page"
    )
