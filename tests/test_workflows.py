"""GitHub Actions, which cannot run here, right by construction: linted, and holding what CONTRIBUTING says.

The workflow (``.github/workflows/ci.yml``) is linted by zizmor (offline; no finding of medium
severity or more) and checked against GitHub's schemas (check-jsonschema's copy of SchemaStore's);
each promise of CONTRIBUTING's "CI on GitHub" is a test below. The browser the tests drive is found
in one order on Debian, on GitHub's runners and with Playwright's own install (``browsers.py``),
and whether it has JSPI is checked in it (tests/test_browser.py, with the session's browser).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import browsers
import pytest
import yaml

from snippet_engine import interpreters

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
BIN = Path(sys.executable).parent  # the venv's tools: zizmor, check-jsonschema
# Linters, browsers and pytest runs of their own load the machine: they wait until snippets are timed.
pytestmark = pytest.mark.usefixtures("after_snippet_runs")
SHA_PIN = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


def workflow(path: Path = CI) -> dict:
    loaded = yaml.safe_load(path.read_text())
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads the key `on` as true
    return loaded


def steps(job: str) -> list[dict]:
    return workflow()["jobs"][job]["steps"]


def uses(step: dict) -> str:
    return step.get("uses", "").partition("@")[0]


def runs(job: str) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


# ---------------------------------------------------------------- linters


def zizmor(*paths: Path) -> list[dict]:
    """zizmor's findings (offline, the regular persona) for ``paths``; schema errors fail it."""
    result = subprocess.run(
        [BIN / "zizmor", "--offline", "--strict-collection", "--format", "json", *paths],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode in (0, *range(10, 20)), f"zizmor failed:\n{result.stderr}"  # 1x: findings
    return json.loads(result.stdout)


def serious(findings: list[dict]) -> list[str]:
    said = []
    for finding in findings:
        if finding["determinations"]["severity"] in ("Medium", "High"):
            place = finding["locations"][0]["concrete"]
            row = place["location"]["start_point"]["row"] + 1
            said.append(f"{finding['ident']} ({finding['determinations']['severity']}) line {row}: {place['feature']}")
    return said


def test_zizmor_finds_nothing_of_medium_severity_or_more():
    assert serious(zizmor(ROOT / ".github")) == []


def test_zizmor_is_the_version_requirements_pin():
    pinned = re.search(r"^zizmor==(\S+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE)[1]
    answer = subprocess.run([BIN / "zizmor", "--version"], capture_output=True, text=True, check=True)
    assert answer.stdout.split() == ["zizmor", pinned]


def test_zizmor_finds_what_the_issue_found_in_the_old_workflow(tmp_path):
    """The lint can fail: the workflow before this change had unpinned actions and kept credentials."""
    old = tmp_path / "old.yml"
    old.write_text(
        textwrap.dedent("""\
        on: push
        permissions:
          contents: read
        jobs:
          test:
            runs-on: ubuntu-24.04
            steps:
              - uses: actions/checkout@v4
              - uses: actions/upload-pages-artifact@v3
                with:
                  path: .
        """)
    )
    found = serious(zizmor(old))
    assert any(line.startswith("unpinned-uses (High)") for line in found), found
    assert any(line.startswith("artipacked (Medium)") for line in found), found


def check_schema(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", schema, path], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(("schema", "path"), [("vendor.github-workflows", CI), ("vendor.dependabot", DEPENDABOT)])
def test_workflow_and_dependabot_follow_githubs_schemas(schema, path, tmp_path):
    result = check_schema(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr
    # and a misspelt key fails (zizmor does not look for those)
    broken = tmp_path / path.name
    broken.write_text(re.sub(r"\binterval:|\btimeout-minutes:", "intervall:", path.read_text(), count=1))
    assert check_schema(schema, broken).returncode == 1


def test_jobs_need_jobs_that_exist():
    jobs = workflow()["jobs"]
    for job in jobs.values():
        needs = job.get("needs", [])
        assert set([needs] if isinstance(needs, str) else needs) <= set(jobs)


# ---------------------------------------------------------------- pinned and hardened


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment():
    lines = [line for line in CI.read_text().splitlines() if re.match(r"^\s*(- )?uses:", line)]
    assert lines
    pins: dict[str, set[tuple[str, str]]] = {}
    for line in lines:
        match = SHA_PIN.match(line)
        assert match, f"not pinned to a commit with its version in a comment: {line.strip()}"
        pins.setdefault(match[1], set()).add((match[2], match[3]))
    assert all(len(seen) == 1 for seen in pins.values()), f"one action at two pins: {pins}"


def test_every_checkout_keeps_no_credentials():
    checkouts = [step for job in workflow()["jobs"] for step in steps(job) if uses(step) == "actions/checkout"]
    assert checkouts
    assert all(step.get("with", {}).get("persist-credentials") is False for step in checkouts)


def test_runs_by_hand_one_at_a_time_and_within_a_time():
    flow = workflow()
    assert set(flow["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert flow["on"]["push"] == {"branches": ["main"]}
    assert "${{ github.ref }}" in flow["concurrency"]["group"]
    assert flow["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    assert all(0 < job["timeout-minutes"] <= 30 for job in flow["jobs"].values())
    assert flow["jobs"]["deploy"]["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_permissions_are_read_only_except_the_deploy():
    flow = workflow()
    assert flow["permissions"] == {}
    for name, job in flow["jobs"].items():
        expected = {"pages": "write", "id-token": "write"} if name == "deploy" else {"contents": "read"}
        assert job["permissions"] == expected, name


def test_pip_and_npm_are_cached_in_the_test_job():
    python = next(step for step in steps("test") if uses(step) == "actions/setup-python")
    assert python["with"]["cache"] == "pip"
    assert python["with"]["cache-dependency-path"] == "requirements.txt"
    node = next(step for step in steps("test") if uses(step) == "actions/setup-node")
    assert node["with"]["cache"] == "npm"
    assert node["if"] == "hashFiles('package-lock.json') != ''"  # setup-node fails without a lock file


# ---------------------------------------------------------------- what runs


def test_pull_requests_run_the_readme_test_command():
    assert "pull_request" in workflow()["on"]
    test = workflow()["jobs"]["test"]
    assert "if" not in test
    assert steps("test")[-1]["run"] == "bash .ci/run"
    readme = (ROOT / "README.md").read_text()
    command = re.findall(r"^```sh\n(.*?)\n```$", readme, re.DOTALL | re.MULTILINE)[-1]
    assert "pytest" in command
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_main_deploys_a_fresh_strict_build_with_no_cache():
    jobs = workflow()["jobs"]
    build, deploy = jobs["build"], jobs["deploy"]
    assert build["if"] == "github.ref == 'refs/heads/main'"
    assert build["needs"] == "test"
    assert deploy["needs"] == "build"
    for step in steps("build"):
        assert uses(step) not in ("actions/cache", "actions/setup-node"), step
        assert "cache" not in step.get("with", {}), step
    commands = runs("build")
    assert "pip install --no-cache-dir -r requirements.txt" in commands
    assert '--cache "$RUNNER_TEMP/npm-cache"' in commands  # npm's own cache folder is empty there
    assert "rm -rf .cache site && .venv/bin/mkdocs build --strict" in commands
    upload = steps("build")[-1]
    assert uses(upload) == "actions/upload-pages-artifact"
    assert upload["with"] == {"path": "site"}
    assert [uses(step) for step in steps("deploy")] == ["actions/deploy-pages"]
    assert deploy["environment"]["name"] == "github-pages"


def test_main_builds_with_zensical_too_and_publishes_only_the_mkdocs_build():
    """Both builders build the whole site, strictly, on main; the deploy takes MkDocs' (the default)."""
    commands = runs("build")
    zensical, mkdocs = commands.find(".venv/bin/zensical build && rm -rf site"), commands.find("mkdocs build --strict")
    assert -1 < zensical < mkdocs, "no 'zensical build', then its site removed, before the published MkDocs build"
    assert "strict: true" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")  # what makes Zensical's build strict


def pinned_pythons(job: str) -> list[str]:
    (python,) = [step for step in steps(job) if uses(step) == "actions/setup-python"]
    return python["with"]["python-version"].split()


def test_ci_installs_the_exact_pythons_the_outs_were_recorded_on():
    configured = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["snippet-engine"]["pythons"]
    for job in ("test", "build"):
        versions = pinned_pythons(job)
        assert all(re.fullmatch(r"3\.\d+\.\d+", version) for version in versions), versions
        assert sorted(version.rpartition(".")[0] for version in versions) == sorted(configured)
    assert pinned_pythons("test") == pinned_pythons("build")


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI only: a contributor may check on other patch releases")
def test_in_ci_snippets_run_on_the_pinned_pythons():
    """CI (GitHub's and .ci/run's) checks on the very releases the workflow pins, or fails saying to re-record."""
    for version in pinned_pythons("test"):
        found = interpreters.find(version.rpartition(".")[0])
        assert found.version == version, (
            f"CI found Python {found.version} ({found.executable}), but the .out files were recorded on {version}: "
            "install that one, or re-record on the new one and change the pins (CONTRIBUTING, 'CI on GitHub')"
        )


def test_the_sandbox_is_allowed_and_tried_before_anything_runs_a_snippet():
    for job in ("test", "build"):
        commands = runs(job)
        before = commands.index("bash .ci/run" if job == "test" else "mkdocs build")
        assert -1 < commands.index("apt-get install -y -qq bubblewrap") < before
        assert -1 < commands.index("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0") < before
    assert runs("test").index("bwrap --unshare-all --unshare-user") < runs("test").index("bash .ci/run")


def test_with_ci_set_the_sandbox_tests_cannot_be_skipped(tmp_path):
    """Without bubblewrap, tests/test_sandbox.py (which proves a sample cannot write the checkout) fails in CI."""
    (tmp_path / "python3").symlink_to(sys.executable)  # a PATH with Python and no bwrap
    environ = {**os.environ, "CI": "true", "PATH": str(tmp_path)}
    collect = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests/test_sandbox.py"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert collect.returncode != 0, collect.stdout
    assert "bwrap (bubblewrap) was not found (CI is set, so this is an error)" in collect.stdout


def test_dependabot_keeps_actions_pip_and_npm_fresh():
    updates = yaml.safe_load(DEPENDABOT.read_text())["updates"]
    assert sorted(update["package-ecosystem"] for update in updates) == ["github-actions", "npm", "pip"]
    assert all(update["directory"] == "/" for update in updates)


# ---------------------------------------------------------------- the browser


def fake_browser(folder: Path, name: str, answer: str = "Chromium 150.0.1", code: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{answer}'\nexit {code}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path):
    """An environment with nothing of this machine's: a PATH and a home of the test's own."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    return {"PATH": str(bin_dir), "HOME": str(tmp_path / "home")}, bin_dir


def test_the_browser_is_found_in_one_order(machine, tmp_path):
    environ, bin_dir = machine
    playwright = fake_browser(tmp_path / "home/.cache/ms-playwright/chromium-1200/chrome-linux64", "chrome")
    older = fake_browser(tmp_path / "home/.cache/ms-playwright/chromium-1100/chrome-linux64", "chrome")
    expected = [("Playwright's install", str(playwright)), ("Playwright's install", str(older))]
    runner = fake_browser(tmp_path / "runner", "google-chrome", "Google Chrome 151.0")
    environ["CHROME_BIN"] = str(runner)
    expected.insert(0, ("CHROME_BIN", str(runner)))
    for name in reversed(browsers.ON_PATH):
        expected.insert(0, (f"{name} on PATH", str(fake_browser(bin_dir, name))))
    for name in reversed(browsers.EXPLICIT):
        environ[name] = str(fake_browser(tmp_path / name, "chrome"))
        expected.insert(0, (name, environ[name]))
    seen = []
    for source, path in expected:
        found = browsers.find(environ)
        assert (found.source, found.path) == (source, path)
        seen.append(found.source)
        environ.pop(source, None)  # then the next one down
        Path(path).unlink()
    assert seen[:3] == ["CHROME_PATH", "CHROMIUM", "chromium on PATH"]
    with pytest.raises(browsers.NoBrowser, match="No Chromium or Google Chrome"):
        browsers.find(environ)


def test_playwrights_browsers_path_is_honoured(machine, tmp_path):
    environ, _ = machine
    environ["PLAYWRIGHT_BROWSERS_PATH"] = str(tmp_path / "pw")
    shell = fake_browser(
        tmp_path / "pw/chromium_headless_shell-1200/chrome-headless-shell-linux64", "chrome-headless-shell"
    )
    assert browsers.find(environ).path == str(shell)


def test_a_browser_named_on_purpose_must_work(machine, tmp_path):
    environ, bin_dir = machine
    fake_browser(bin_dir, "chromium")
    environ["CHROME_PATH"] = str(tmp_path / "nowhere" / "chrome")
    with pytest.raises(browsers.NoBrowser, match=r"CHROME_PATH=.*nowhere/chrome is not a browser .*not an executable"):
        browsers.find(environ)


def test_a_snap_stub_or_a_broken_browser_is_passed_over_saying_why(machine, tmp_path):
    environ, bin_dir = machine
    stub = bin_dir / "chromium-browser"  # Ubuntu's transitional package: a script that starts the snap
    stub.write_text('#!/bin/sh\nexec /snap/bin/chromium "$@"\n')
    stub.chmod(0o755)
    fake_browser(bin_dir, "chromium", "", code=1)
    chrome = fake_browser(bin_dir, "google-chrome", "Google Chrome 151.0")
    assert browsers.find(environ).path == str(chrome)
    chrome.unlink()
    with pytest.raises(browsers.NoBrowser) as error:
        browsers.find(environ)
    assert "chromium on PATH" in str(error.value)
    assert "--version failed" in str(error.value)
    assert "chromium-browser on PATH" in str(error.value)
    assert "a snap" in str(error.value)


def test_ci_run_installs_chromium_only_where_no_browser_is_found(machine, tmp_path):
    script = (ROOT / ".ci" / "run").read_text()
    assert "python3 tests/browsers.py >/dev/null || missing+=(chromium)" in script
    environ, bin_dir = machine
    (bin_dir / "python3").symlink_to(sys.executable)
    command = [sys.executable, str(ROOT / "tests" / "browsers.py")]
    assert subprocess.run(command, env=environ, capture_output=True).returncode == 1
    chrome = fake_browser(bin_dir, "google-chrome", "Google Chrome 151.0")
    answer = subprocess.run(command, env=environ, capture_output=True, text=True)
    assert answer.stdout.split("\t") == [str(chrome), "google-chrome on PATH", "Google Chrome 151.0\n"]


def ci_section() -> str:
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    return contributing[contributing.index("## CI on GitHub") :]


def test_contributing_names_real_tests_and_the_pins_in_use():
    names = set(re.findall(r"`(test_\w+)`", ci_section()))
    defined = {
        name
        for test in (ROOT / "tests").glob("test_*.py")
        for name in re.findall(r"^def (test_\w+)", test.read_text(), re.M)
    }
    assert names
    assert names <= defined, names - defined
    table = set(re.findall(r"^\| `([\w-]+/[\w-]+)` \| (v[\d.]+) \| `([0-9a-f]{40})` \|$", ci_section(), re.M))
    in_use = {match.group(1, 2, 3) for line in CI.read_text().splitlines() if (match := SHA_PIN.match(line))}
    assert {(action, sha, version) for action, version, sha in table} == in_use
