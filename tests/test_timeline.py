"""Timelines: the picture of a run drawn under each snippet's output (snippet_engine/timeline.py)."""

from __future__ import annotations

import asyncio
import copy
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from snippet_engine import fence, timeline
from snippet_engine.batch import Outcome
from snippet_engine.config import settings
from snippet_engine.expected import ExpectedFileError, Variant, parse
from snippet_engine.interpreters import find
from snippet_engine.run import Line, Run, TaskRecord, run_snippet

PYTHON = settings().pythons[0]
SNIPPETS = settings().snippets_dir
NS = {"svg": "http://www.w3.org/2000/svg"}


def run(snippet: Path) -> Run:
    conf = settings()
    return asyncio.run(run_snippet(
        snippet, find(PYTHON), timeout=20, max_lines=conf.max_lines, max_bytes=conf.max_bytes
    ))  # fmt: skip


def checked(name: str) -> Variant:
    """The expected output of a snippet on a page, as the engine checked it."""
    return parse((SNIPPETS / name).with_suffix(".out")).variant_for(PYTHON)


def drawn(svg: str) -> dict[str, tuple[float, float, str]]:
    """Read the picture back: each row's label → (start, end) in seconds, from the bar's geometry and the axis."""
    root = ET.fromstring(svg)
    ticks = root.findall(".//svg:g[@class='tl-axis']/svg:text", NS)
    x0, x1 = float(ticks[0].get("x")), float(ticks[-1].get("x"))
    span = float(ticks[-1].text.removesuffix(" s"))
    bars = {}
    for group in root.iter(f"{{{NS['svg']}}}g"):
        classes = group.get("class", "").split()
        if "tl-task" not in classes:
            continue
        text = group.find("svg:text", NS)
        rect = group.find("svg:rect[@class='tl-bar']", NS)
        start = (float(rect.get("x")) - x0) / (x1 - x0) * span
        end = start + float(rect.get("width")) / (x1 - x0) * span
        kind = next(c for c in classes if c != "tl-task").removeprefix("tl-")
        bars[text.text] = (start, end, kind)
    return bars


def overlap(a: tuple[float, float, str], b: tuple[float, float, str]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


# -- what the pictures show ------------------------------------------------------------------------


def test_gather_sample_draws_two_bars_overlapping():
    bars = drawn(timeline.svg(checked("gather/concurrently.py")))
    a, b = bars["fetch('A', 1)"], bars["fetch('B', 2)"]
    assert a[:2] == pytest.approx((0, 1), abs=0.01)
    assert b[:2] == pytest.approx((0, 2), abs=0.01)
    assert overlap(a, b) == pytest.approx(1, abs=0.01)  # all of A runs while B runs
    assert bars["main()"][:2] == pytest.approx((0, 2), abs=0.01)


@pytest.mark.parametrize("minor", settings().pythons)
def test_gather_sample_real_run_overlaps_and_task_times_match_printed_times(minor, snippet_outcomes):
    result = snippet_outcomes["gather/concurrently.py", minor].run  # the suite's own run of it
    printed = {line.text: line.time for line in result.lines}
    tasks = {task.coro: task for task in result.tasks}
    # The recorder's task times agree with the times the same run printed at.
    assert tasks["fetch('A', 1)"].finished == pytest.approx(printed["A finished"], abs=0.05)
    assert tasks["fetch('B', 2)"].finished == pytest.approx(printed["B finished"], abs=0.05)
    bars = drawn(timeline.svg(Variant(None, result.lines, result.tasks)))
    a, b = bars["fetch('A', 1)"], bars["fetch('B', 2)"]
    # Drawn from their start: a busy machine may delay even that, by the CPU waits the checks leave out too.
    assert a[0] - tasks["fetch('A', 1)"].created_delay == pytest.approx(0, abs=0.05)
    assert b[0] - tasks["fetch('B', 2)"].created_delay == pytest.approx(0, abs=0.05)
    assert a[1] == pytest.approx(1, abs=0.3)
    assert b[1] == pytest.approx(2, abs=0.3)
    assert overlap(a, b) == pytest.approx(1, abs=0.3)
    assert b[1] - b[0] == pytest.approx(2, abs=0.3)


def test_tasks_awaited_one_after_another_are_drawn_end_to_end(tmp_path):
    snippet = tmp_path / "sequential.py"
    snippet.write_text(
        textwrap.dedent("""
        import asyncio

        async def a():
            await asyncio.sleep(0.4)
            print("a done")

        async def b():
            await asyncio.sleep(0.4)
            print("b done")

        async def main():
            await asyncio.create_task(a())
            await asyncio.create_task(b())

        asyncio.run(main())
    """)
    )
    result = run(snippet)
    printed = {line.text: line.time for line in result.lines}
    tasks = {task.coro: task for task in result.tasks}
    # Less the time the run waited for a CPU by then, as the check counts it: on a busy machine that wait
    # can fall between a print and its task's end (seen in 1 of 20 idle runs of the test command).
    waited = {line.text: line.delay for line in result.lines}
    for coro, said in (("a()", "a done"), ("b()", "b done")):
        ended = tasks[coro].finished - tasks[coro].finished_delay
        assert ended == pytest.approx(printed[said] - waited[said], abs=0.05), coro
    bars = drawn(timeline.svg(Variant(None, result.lines, result.tasks)))
    a, b = bars["a()"], bars["b()"]
    assert b[0] == pytest.approx(a[1], abs=0.05)  # b starts where a ends
    assert overlap(a, b) < 0.05
    assert a[1] - a[0] == pytest.approx(0.4, abs=0.2)
    assert b[1] - b[0] == pytest.approx(0.4, abs=0.2)


def test_sequential_sample_has_one_bar_and_a_mark_per_printed_line():
    svg = timeline.svg(checked("gather/one_after_another.py"))
    assert drawn(svg) == {"main()": pytest.approx((0, 3, "done"), abs=0.01)}
    root = ET.fromstring(svg)
    marks = root.findall(".//svg:g[@class='tl-print tl-out']", NS)
    assert [m.find("svg:title", NS).text.split(",")[0] for m in marks] == ["1.00 s", "3.00 s"]
    assert marks[1].find("svg:text", NS).text == f"{timeline.TIMES}2"  # two lines at 3.00 s


def variant_with_every_ending() -> Variant:
    return Variant(
        None,
        [Line(0.5, "out", "gather raised ValueError"), Line(1.0, "err", "Traceback ..."), Line(1.0, "out", "done")],
        [
            TaskRecord("Task-1", "main()", 0.0, 1.0, "done"),
            TaskRecord("Task-2", "broken(0.5)", 0.0, 0.5, "failed"),
            TaskRecord("Task-3", "fetch('B', 2)", 0.0, 1.0, "cancelled"),
            TaskRecord("poller", "poll()", 0.2, None, None),
        ],
    )


def test_failed_and_cancelled_tasks_look_different_not_by_colour_alone():
    svg = timeline.svg(variant_with_every_ending(), key="endings")
    root = ET.fromstring(svg)
    bars = drawn(svg)
    assert {label: kind for label, (_, _, kind) in bars.items()} == {
        "main()": "done", "broken(0.5)": "failed", "fetch('B', 2)": "cancelled", "poll() name='poller'": "pending",
    }  # fmt: skip
    failed = root.find(".//svg:g[@class='tl-task tl-failed']", NS)
    assert failed.find("svg:rect[@class='tl-bar']", NS).get("fill") == "url(#tl-endings-hatch)"  # hatched ...
    assert root.find(".//svg:pattern[@id='tl-endings-hatch']", NS) is not None
    assert failed.find("svg:path[@class='tl-end']", NS) is not None  # ... ends in a cross ...
    assert "".join(failed.find("svg:text", NS).itertext()) == "broken(0.5) — failed"  # ... and says so
    cancelled = root.find(".//svg:g[@class='tl-task tl-cancelled']", NS)
    assert cancelled.find("svg:path[@class='tl-end']", NS) is not None
    assert "".join(cancelled.find("svg:text", NS).itertext()).endswith("— cancelled")
    pending = root.find(".//svg:g[@class='tl-task tl-pending']", NS)
    assert "still running at exit" in "".join(pending.find("svg:text", NS).itertext())
    done = root.find(".//svg:g[@class='tl-task tl-done']", NS)
    assert done.find("svg:path", NS) is None
    assert done.find("svg:rect[@class='tl-bar']", NS).get("fill") is None
    legend = [t.text for t in root.findall(".//svg:g[@class='tl-legend']/svg:text", NS)]
    assert legend == ["finished", "failed", "cancelled", "still running", "printed line", "to stderr"]
    assert root.find(".//svg:g[@class='tl-print tl-err']", NS) is not None  # stderr: a mark of its own shape


def test_picture_is_well_formed_and_says_what_it_shows():
    svg = timeline.svg(checked("gather/concurrently.py"), key="gather/concurrently.py")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("viewBox").startswith("0 0 360 ")
    assert root.get("width") == "100%"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find("svg:title", NS).get("id") == title_id == "tl-gather-concurrently-py-title"
    assert root.find("svg:desc", NS).get("id") == desc_id
    assert root.find("svg:title", NS).text == "Timeline of the run: 3 tasks over 2.00 s"
    assert root.find("svg:desc", NS).text == (
        "3 tasks; main() 0-2.00 s; fetch('A', 1) 0-1.00 s; fetch('B', 2) 0-2.00 s; "
        "3 lines printed: 1 at 1.00 s, 2 at 2.00 s"
    ).replace("-", timeline.DASH)
    assert "<script" not in svg  # colours come from classes in timeline.css
    assert "style=" not in svg


def test_every_checked_output_draws_a_well_formed_picture():
    for out in sorted(SNIPPETS.rglob("*.out")):
        try:
            variants = parse(out).variants
        except ExpectedFileError:
            continue  # the snippet's own test reports it
        for variant in variants:
            svg = timeline.svg(variant, key=out.stem)
            if variant.tasks:
                root = ET.fromstring(svg)
                assert root.find("svg:desc", NS).text, out
            else:
                assert svg == "", out


def test_same_input_same_bytes():
    variant = checked("gather/concurrently.py")
    first = timeline.svg(variant, key="x")
    assert timeline.svg(copy.deepcopy(variant), key="x") == first
    assert timeline.svg(variant_with_every_ending()) == timeline.svg(variant_with_every_ending())


def test_labels_name_tasks_named_on_purpose_and_long_ones_are_cut_to_fit():
    long = "withdraw(<Account>, 'a customer with a very long name', 'another long argument', 80)"
    variant = Variant(None, [], [
        TaskRecord("Task-1", "main()", 0, 1, "done"),
        TaskRecord("slow worker", "worker(1)", 0, 1, "done"),
        TaskRecord("Task-3", long, 0.5, 1, "failed"),
    ])  # fmt: skip
    svg = timeline.svg(variant)
    labels = list(drawn(svg))
    assert labels[:2] == ["main()", "worker(1) name='slow worker'"]
    assert labels[2].endswith("…")
    assert long.startswith(labels[2][:-1])
    root = ET.fromstring(svg)
    width = float(root.get("viewBox").split()[2])
    for text in root.iter(f"{{{NS['svg']}}}text"):
        if "tl-label" in text.get("class", ""):  # monospace: about 0.6 em a character
            assert float(text.get("x")) + len("".join(text.itertext())) * 0.6 * float(text.get("font-size")) <= width
    assert long in root.find("svg:desc", NS).text  # the text alternative has it whole


def test_many_tasks_are_capped_and_the_rest_counted():
    tasks = [TaskRecord(f"Task-{i}", f"job({i})", 0, i / 10, "done") for i in range(1, 26)]
    svg = timeline.svg(Variant(None, [], tasks))
    root = ET.fromstring(svg)
    assert len(drawn(svg)) == timeline.MAX_ROWS == 20
    assert "… and 5 more tasks, not drawn" in [t.text for t in root.iter(f"{{{NS['svg']}}}text")]
    assert root.find("svg:desc", NS).text.startswith("25 tasks, the first 20 drawn; ")
    assert "nothing printed" in root.find("svg:desc", NS).text


def test_no_tasks_no_picture():
    lines = [Line(0.0, "err", "Traceback (most recent call last):")]
    assert timeline.svg(Variant(None, lines, [])) == ""
    assert timeline.svg(Variant(None, lines, None)) == ""
    assert "<svg" not in fence._output_html("fails.py", Variant(None, lines, []), "Output")


# -- on the page -----------------------------------------------------------------------------------


def fake_outcomes(monkeypatch, name: str, expected_text: str, tmp_path: Path) -> None:
    out = tmp_path / "sample.out"
    out.write_text(textwrap.dedent(expected_text).lstrip())
    expected = parse(out)
    source = tmp_path / "sample.py"
    source.write_text("print('hi')\n")
    monkeypatch.setattr(fence, "_outcomes", lambda _: [Outcome(source, m, expected=expected) for m in ("3.11", "3.12")])
    monkeypatch.setattr(fence, "settings", lambda: type("S", (), {"snippets_dir": tmp_path})())


def test_page_shows_a_picture_per_version_tab_and_none_when_turned_off(monkeypatch, tmp_path):
    fake_outcomes(monkeypatch, "sample.py", """
        @ python 3.11
         1.00 | hi
        tasks:
        0.00 - 1.00 | done | Task-1 | main()
        @ python 3.12
         1.00 | hi
        tasks:
        0.00 - 1.00 | done | Task-1 | main()
        0.00 - 0.50 | cancelled | Task-2 | helper()
    """, tmp_path)  # fmt: skip
    page = fence.render("sample.py")
    assert page.count("<svg") == 2
    assert page.count('class="snippet-timeline" data-search-exclude') == 2
    assert 'id="tl-sample-py-3-11-title"' in page  # ids unique per page
    assert 'id="tl-sample-py-3-12-title"' in page
    assert page.count("tl-cancelled") >= 1
    for picture in page.split("<svg")[1:]:  # no blank line: each output stays one raw HTML block, in tabs too
        assert "\n\n" not in picture[: picture.index("</svg>")]
    assert fence.render("sample.py") == page
    assert "<svg" not in fence.render("sample.py", timeline=False)
    options: dict = {}
    assert fence.validate("snippet", {"timeline": "off"}, options, {}, None)
    assert options["timeline"] is False
    assert fence.validate("snippet", {}, options, {}, None)
    assert options["timeline"] is True
