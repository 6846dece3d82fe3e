"""Lighthouse performance of every page, with the replay and without it (a benchmark, not a test).

    python benchmarks/lighthouse.py                       # build, then 5 alternating rounds per page
    python benchmarks/lighthouse.py --control             # and "without" measured twice: what noise does
    python benchmarks/lighthouse.py --site site --rounds 1 --pages gather/ ""
    python benchmarks/lighthouse.py --builders            # Zensical's build against MkDocs', both with it

The site is built once (``mkdocs build --strict``); the copy "without" is the same build with what the
replay adds taken out: its script tag, its file and its part of ``snippets.css`` (it reads the times the
page shows). Both are served gzipped, as GitHub Pages serves them, under the path of
``site_url``, from 127.0.0.1. Lighthouse is the pinned version from npm (installed once into
``.cache/lighthouse``), driving the browser the tests find (``tests/browsers.py``: Debian's Chromium,
``CHROME_PATH`` ...) with their flags, so nothing leaves the machine. Rounds alternate with and without, so
a change in the machine's load falls on both. It prints the median score and metrics per page and variant,
and the score difference of each round's pair with its confidence interval, per page and over all pages.
It exits 1 if the replay lowers a page's score with 95 % confidence for all the pages together: one
variant's score moves by several points from round to round, so a lower median of a few rounds is no drop.

``--builders`` measures the two builders instead (issue 18): MkDocs' build as above, and ``zensical build``
of a copy of the project (``tests/conftest.py``'s, from the same cache), each as it is published, replay
and all. It prints the same table, Zensical against MkDocs, and exits 1 if Zensical's build lowers a page.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = "lighthouse@12.8.2"  # the last line that runs on Node 20 (13 needs Node 22)
INSTALL = ROOT / ".cache" / "lighthouse"
sys.path.insert(0, str(ROOT / "tests"))
import browsers  # noqa: E402
from site_server import SiteHandler, serve  # noqa: E402 (the browser the tests use, and their flags: nothing leaves the machine)
from test_replay import STYLE, without_replay  # noqa: E402

from conftest import build_site_with_zensical  # noqa: E402 (the suite's Zensical build of a copy of the project)

CHROME_FLAGS = ["--headless=new", *browsers.LAUNCH_ARGS]
METRICS = {
    "first-contentful-paint": "FCP ms",
    "largest-contentful-paint": "LCP ms",
    "total-blocking-time": "TBT ms",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI ms",
}


class GzipHandler(SiteHandler):
    """The site as the tests serve it, gzipped when the client takes gzip (GitHub Pages does the same)."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if "gzip" not in self.headers.get("Accept-Encoding", "") or not path.is_file():
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _Body(body)


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, *_) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


def site_without_replay(site: Path, into: Path) -> None:
    """A copy of ``site`` with what the replay adds taken out, as tests/test_replay.py takes it out."""
    shutil.copytree(site, into)
    for page in into.rglob("*.html"):
        page.write_text(without_replay(page.read_text(encoding="utf-8")), encoding="utf-8")
    stylesheet = into / "stylesheets" / "snippets.css"
    stylesheet.write_text(STYLE.sub("", stylesheet.read_text(encoding="utf-8")), encoding="utf-8")
    (into / "javascripts" / "replay.js").unlink()


def lighthouse() -> Path:
    binary = INSTALL / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        INSTALL.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(INSTALL), "--no-audit", "--no-fund", LIGHTHOUSE], check=True)
    return binary


def measure(binary: Path, url: str, chromium: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [str(binary), url, "--only-categories=performance", "--output=json", f"--output-path={report}",
             "--quiet", f"--chrome-flags={' '.join(CHROME_FLAGS)}"],
            check=True, env={**os.environ, "CHROME_PATH": chromium}, capture_output=True,
        )  # fmt: skip
        result = json.loads(report.read_text())
    found = {"score": result["categories"]["performance"]["score"] * 100}
    for audit, name in METRICS.items():
        found[name] = result["audits"][audit]["numericValue"]
    return found


def t_quantile(p: float, df: int) -> float:
    """Student's t at probability ``p`` (> 0.5) for ``df`` degrees of freedom: its density integrated
    (Simpson's rule) and inverted by bisection, to 3 decimals; no dependency."""
    scale = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def cdf(x: float, steps: int = 2000) -> float:
        h = x / steps
        f = [scale * (1 + (i * h) ** 2 / df) ** (-(df + 1) / 2) for i in range(steps + 1)]
        return 0.5 + h / 3 * (f[0] + f[-1] + 4 * sum(f[1:-1:2]) + 2 * sum(f[2:-1:2]))

    low, high = 0.0, 1000.0
    while high - low > 1e-4:
        middle = (low + high) / 2
        low, high = (middle, high) if cdf(middle) < p else (low, middle)
    return round((low + high) / 2, 3)


def interval(differences: list[float], confidence: float) -> tuple[float, float]:
    """The mean of paired differences and the half-width of its two-sided ``confidence`` interval (Student's t)."""
    mean = statistics.fmean(differences)
    if len(differences) < 2:
        return mean, math.inf
    t = t_quantile(1 - (1 - confidence) / 2, len(differences) - 1)
    return mean, t * statistics.stdev(differences) / math.sqrt(len(differences))


def compare(results: dict, pages: list[str], variant: str, baseline: str, columns: list[str]) -> list[str]:
    """Prints each page's medians and the paired score difference; returns the pages ``variant`` lowers.

    A page is lowered when its difference is below 0 with 95 % confidence for all the pages together
    (Bonferroni: each page's interval at 1 - 0.05 / pages), so neither a point of noise from round to round
    nor one page in twenty-three by chance is taken for a drop; a drop in every round is (``--control``
    measures "without" twice: what noise alone does). All the pairs together give the average difference."""
    lowered, pooled = [], []
    each = 1 - 0.05 / len(pages)
    print(f"{'page':24} {'variant':8} " + " ".join(f"{c:>9}" for c in columns) + f"   difference, {each:.2%} CI")
    for page in pages:
        medians = {}
        for name in (baseline, variant):
            medians[name] = {c: statistics.median(run[c] for run in results[(page, name)]) for c in columns}
        pairs = zip(results[(page, variant)], results[(page, baseline)], strict=True)
        differences = [a["score"] - b["score"] for a, b in pairs]
        pooled += differences
        mean, half = interval(differences, each)
        lower = mean + half < 0
        for name in (baseline, variant):
            row = f"{page or 'home':24} {name:8} " + " ".join(f"{medians[name][c]:9.3g}" for c in columns)
            print(row + (f"   {mean:+.2f} ± {half:.2f}" + ("  LOWER" if lower else "") if name == variant else ""))
        if lower:
            lowered.append(page or "home")
    mean, half = interval(pooled, 0.95)
    print(f"all pages, {variant} against {baseline}: {mean:+.2f} ± {half:.2f} points, 95 % CI ({len(pooled)} pairs)")
    return lowered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one now)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pages", nargs="*", help='paths below the site, "" for home (default: every page)')
    parser.add_argument("--control", action="store_true", help='also "again": without, measured a second time')
    parser.add_argument("--builders", action="store_true", help="Zensical's build against MkDocs', not the replay")
    args = parser.parse_args()
    chromium = browsers.find().path
    binary = lighthouse()
    with tempfile.TemporaryDirectory() as folder:
        site = args.site
        if site is None:
            site = Path(folder) / "with"
            subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
                           cwd=ROOT, check=True)  # fmt: skip
        if args.builders:
            build_site_with_zensical(zensical := Path(folder) / "zensical")
            variants = {"mkdocs": site, "zensical": zensical}
        else:
            site_without_replay(site, plain := Path(folder) / "without")
            variants = {"with": site, "without": plain, **({"again": plain} if args.control else {})}
        pages = args.pages
        if pages is None:
            pages = sorted(p.parent.relative_to(site).as_posix() + "/" for p in site.rglob("index.html"))
            pages = ["" if p == "./" else p for p in pages]
        servers = {name: serve(path, GzipHandler) for name, path in variants.items()}
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_ in range(args.rounds):
            for page in pages:
                order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
                for name in order:
                    found = measure(binary, servers[name][1] + page, chromium)
                    results.setdefault((page, name), []).append(found)
                    print(f"round {round_ + 1}: {page or 'home'} {name}: {found}", file=sys.stderr, flush=True)
        for server, _ in servers.values():
            server.shutdown()
    columns = ["score", *METRICS.values()]
    print(f"{LIGHTHOUSE}, medians of {args.rounds} round(s), gzipped, 127.0.0.1; load average {os.getloadavg()[0]:.1f}")
    if args.builders:
        lowered = compare(results, pages, "zensical", "mkdocs", columns)
        print(f"Zensical's build lowers the performance score of: {', '.join(lowered) or 'no page'}")
        sys.exit(1 if lowered else 0)
    if args.control:
        noise = compare(results, pages, "again", "without", columns)
        print(f"noise alone, the same pages twice: {len(noise)} page(s) lower: {noise}\n")
    lowered = compare(results, pages, "with", "without", columns)
    if lowered:
        print(f"the replay lowers the performance score of: {', '.join(lowered)}")
        sys.exit(1)
    print("no page's performance score is lower with the replay (95 % confidence for all pages, paired rounds)")


if __name__ == "__main__":
    main()
