"""Which browser the browser tests drive, found in one explicit order, and whether it has JSPI.

The same tests run on Debian (its ``chromium`` package), on GitHub's Ubuntu runners (their
Google Chrome; Ubuntu's own ``chromium`` package is a stub for a snap, which Playwright cannot
drive) and wherever Playwright installed its own browser: nothing in the tests changes, only
what is found. The order, first usable wins:

1. ``CHROME_PATH``, then ``CHROMIUM``: a path you give; if it is not a working browser that is
   an error, never a silent fall back to another one;
2. ``chromium``, ``chromium-browser``, ``google-chrome``, ``google-chrome-stable`` on ``PATH``;
3. ``CHROME_BIN`` (GitHub's runners set it to their Google Chrome);
4. the Chromium that ``python -m playwright install chromium`` put in ``PLAYWRIGHT_BROWSERS_PATH``
   (by default ``~/.cache/ms-playwright``).

A candidate is usable when it is an executable file, is not a snap (nor a script that starts
one), and answers ``--version``. JSPI (WebAssembly's JavaScript Promise Integration, which the
in-page runner needs) is checked in the browser found, not assumed from its version.

``python3 tests/browsers.py`` prints the browser found (or why none is, exit code 1): ``.ci/run``
asks it before installing Debian's Chromium. Standard library only, so it runs before the venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

EXPLICIT = ("CHROME_PATH", "CHROMIUM")  # a path given on purpose: it must work
ON_PATH = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
RUNNER = "CHROME_BIN"  # set by GitHub's Ubuntu images to /usr/bin/google-chrome
PLAYWRIGHT_DIR = "PLAYWRIGHT_BROWSERS_PATH"
LAUNCH_ARGS = [  # headless, in a container, and offline: the site's own host only
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # without these, Chromium itself calls Google's hosts
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # and should anything still try: no DNS
]
HOW = (
    "On Debian: `sudo apt-get install chromium`. Elsewhere set CHROME_PATH=/path/to/chrome "
    "(Google Chrome or Chromium), or let Playwright install its own: `python -m playwright install chromium`."
)


class NoBrowser(LookupError):
    """No usable browser, or a path given in CHROME_PATH / CHROMIUM that is not one."""


@dataclass(frozen=True)
class Found:
    path: str
    source: str  # where it came from: "CHROME_PATH", "chromium on PATH", "Playwright's install" ...
    version: str  # what it answered to --version: "Chromium 150.0.7871.100 built on Debian ..."


def find(environ: Mapping[str, str] | None = None) -> Found:
    """The first usable browser in the order of this module's docstring, or :class:`NoBrowser` saying why."""
    environ = os.environ if environ is None else environ
    for name in EXPLICIT:
        if given := environ.get(name):
            version = _usable(given)
            if isinstance(version, _Unusable):
                raise NoBrowser(f"{name}={given} is not a browser the tests can use: {version.reason}. {HOW}")
            return Found(given, name, version)
    tried = []
    for path, source in _candidates(environ):
        version = _usable(path)
        if isinstance(version, _Unusable):
            tried.append(f"{source} ({path}): {version.reason}")
        else:
            return Found(path, source, version)
    looked = ", ".join([*ON_PATH, RUNNER, "Playwright's install"])
    skipped = "".join(f"\n  skipped {line}" for line in tried)
    raise NoBrowser(f"No Chromium or Google Chrome to test the site in (looked for {looked}).{skipped}\n{HOW}")


def _candidates(environ: Mapping[str, str]):
    search = environ.get("PATH", os.defpath)
    for name in ON_PATH:
        if found := shutil.which(name, path=search):
            yield found, f"{name} on PATH"
    if runner := environ.get(RUNNER):
        yield runner, RUNNER
    for found in playwright_chromiums(environ):
        yield str(found), "Playwright's install"


def playwright_chromiums(environ: Mapping[str, str]) -> list[Path]:
    """What ``playwright install chromium`` left, newest revision first (full Chromium before headless shell)."""
    home = environ.get("HOME") or str(Path.home())
    root = Path(environ.get(PLAYWRIGHT_DIR) or Path(home, ".cache", "ms-playwright"))
    full = root.glob("chromium-*/chrome-linux*/chrome")
    shell = root.glob("chromium_headless_shell-*/chrome-*linux*/chrome-headless-shell")
    return [*sorted(full, key=_revision, reverse=True), *sorted(shell, key=_revision, reverse=True)]


def _revision(path: Path) -> int:
    number = path.parent.parent.name.rpartition("-")[2]
    return int(number) if number.isdigit() else -1


@dataclass(frozen=True)
class _Unusable:
    reason: str


def _usable(path: str) -> str | _Unusable:
    """What ``path --version`` says, or why it is not a browser the tests can drive."""
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return _Unusable("not an executable file")
    if _is_snap(path):
        return _Unusable("a snap (Ubuntu's chromium packages), which Playwright cannot drive")
    try:
        answer = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return _Unusable(f"--version failed: {error}")
    version = answer.stdout.strip()
    if answer.returncode or not version:
        return _Unusable(f"--version failed: {(answer.stderr or answer.stdout).strip()[:200] or answer.returncode}")
    return version


def _is_snap(path: str) -> bool:
    real = os.path.realpath(path)
    if real.startswith("/snap/") or os.path.basename(real) == "snap":
        return True
    with open(real, "rb") as file:
        head = file.read(4096)
    return head.startswith(b"#!") and b"/snap/" in head  # Ubuntu's transitional chromium-browser script


# A WebAssembly module that imports one function, m.f, and exports run(), which calls it: with
# JSPI, m.f may be an async JavaScript function that run() waits for. Written out by hand:
# header; types: () -> i32; import m.f of that type; one function of that type; export "run"
# as function 1; its body: call 0, end.
_WASM = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 2, 7, 1, 1, 109, 1, 102, 0, 0]
_WASM += [3, 2, 1, 0, 7, 7, 1, 3, 114, 117, 110, 0, 1, 10, 6, 1, 4, 0, 16, 0, 11]
JSPI_CHECK = f"""async () => {{
  try {{
    const f = new WebAssembly.Suspending(async () => {{ await new Promise(r => setTimeout(r, 1)); return 42; }});
    const {{instance}} = await WebAssembly.instantiate(new Uint8Array({_WASM}), {{m: {{f}}}});
    return (await WebAssembly.promising(instance.exports.run)()) === 42;
  }} catch (error) {{
    return false;
  }}
}}"""


def has_jspi(browser) -> bool:
    """Whether a page of ``browser`` (a Playwright Browser or BrowserContext) runs Wasm that awaits a promise.

    Not ``typeof WebAssembly.Suspending`` alone: Wasm is instantiated and its call suspends on a
    JavaScript promise, as the in-page runner's will.
    """
    page = browser.new_page()
    try:
        page.set_content("<!doctype html><title>JSPI</title>")  # a document of its own: init scripts apply
        return page.evaluate(JSPI_CHECK) is True
    finally:
        page.close()


if __name__ == "__main__":
    try:
        found = find()
    except NoBrowser as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    print(f"{found.path}\t{found.source}\t{found.version}")
