"""Keep the paths a page names inside ``snippets/``: a fence cannot run (or show) any other file.

A fence names a snippet by its path below the snippets folder. An absolute path, a ``..``
or a symbolic link could make the build run, and print on a page, any file on the machine.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


def outside(name: str, snippets_dir: Path) -> str | None:
    """Why ``name`` does not name a file below ``snippets_dir``, or None when it does."""
    parts = PurePosixPath(name).parts
    if PurePosixPath(name).is_absolute() or Path(name).is_absolute():
        return f"{name!r} is an absolute path; a fence names a path below {snippets_dir.name}/"
    if ".." in parts:
        return f"{name!r} goes up with '..'; a fence names a path below {snippets_dir.name}/"
    path = snippets_dir
    for part in parts:
        path = path / part
        if path.is_symlink():
            return f"{name!r}: {path.relative_to(snippets_dir).as_posix()} is a symbolic link; snippets are plain files"
    return None
