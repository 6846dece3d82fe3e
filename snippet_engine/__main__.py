"""Command line: ``python -m snippet_engine check|record [SNIPPET ...]``, ``new FOLDER/NAME``, ``page SLUG TITLE``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from .batch import check_many
from .config import ConfigError, discover, label, settings
from .fence import problems as said_once
from .navigation import NavError
from .record import record_many
from .scaffold import ScaffoldError, new_page, new_snippet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snippet_engine", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{check,record,new,page}")
    for name, what in (("check", "check against the .out files"), ("record", "(re)write the .out files")):
        command = commands.add_parser(name, help=what, description=what)
        command.add_argument(
            "snippets", nargs="*", type=Path, help="snippet files (or their .out files) or folders (default: all)"
        )
        command.add_argument(
            "--python", action="append", dest="pythons", metavar="3.X", help="only this version (repeatable)"
        )
    commands.choices["check"].add_argument(
        "--changed",
        action="store_true",
        help="the paths are files that changed (pre-commit): a snippet or its .out means it, anything else "
        "(the engine, pyproject.toml) every snippet",
    )
    new = commands.add_parser("new", help="write a sample from a template, record it, show its fence")
    new.add_argument("name", help="FOLDER/NAME: the page's snippet folder and the sample's name, in snake_case")
    page = commands.add_parser("page", help="write a page with its front matter and add it to nav")
    page.add_argument("slug", help="the page's file name, lower case words joined by dashes (shared-counters)")
    page.add_argument("title", help="its title, in nav and as its heading")
    page.add_argument("--description", required=True, help="one line for search engines and link previews")
    page.add_argument("--section", help="the nav section it goes at the end of (default: the end of nav)")
    args = parser.parse_args(argv)
    try:
        settings()  # the project, found from the working directory up, and its settings
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command in ("new", "page"):
        return _scaffold(args)
    if getattr(args, "changed", False) and any(not _is_sample(path) for path in args.snippets):
        args.snippets = []  # the engine or a setting changed: every snippet
    snippets = _expand(args.snippets) if args.snippets else discover()
    minors = tuple(args.pythons) if args.pythons else settings().pythons
    started = time.monotonic()
    if args.command == "record":
        results = asyncio.run(record_many(snippets, minors))
        failed = {snippet: problems for snippet, problems in results.items() if problems}
        for snippet in results:
            if snippet not in failed:
                print(f"recorded {label(snippet)}")
        problems = list(dict.fromkeys(problem for problems in failed.values() for problem in problems))
    else:
        outcomes = asyncio.run(check_many(snippets, minors, use_cache=False))
        problems = said_once(outcomes)  # alike on several versions (or for every snippet): said once
        print(f"checked {len(outcomes)} runs of {len(snippets)} snippets")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problems in {time.monotonic() - started:.1f} s")
    return 1 if problems else 0


def _scaffold(args: argparse.Namespace) -> int:
    try:
        if args.command == "page":
            said, problems = new_page(args.slug, args.title, args.description, args.section), []
        else:
            said, problems = asyncio.run(new_snippet(args.name))
    except (ScaffoldError, NavError) as error:
        print(error, file=sys.stderr)
        return 2
    print("\n".join(said))
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def _is_sample(path: Path) -> bool:
    return path.suffix in (".py", ".out") and path.resolve().is_relative_to(settings().snippets_dir)


def _expand(paths: list[Path]) -> list[Path]:
    """Folders become their snippets, and an ``.out`` file its snippet (pre-commit passes the files changed)."""
    found = []
    for path in paths:
        found.extend(discover(path) if path.is_dir() else [path.with_suffix(".py") if path.suffix == ".out" else path])
    once: dict[Path, Path] = {}
    for path in found:
        once.setdefault(path.resolve(), path)  # a snippet named twice (as itself and by its .out) runs once
    return list(once.values())


if __name__ == "__main__":
    sys.exit(main())
