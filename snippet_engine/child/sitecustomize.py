"""Imported at start-up by a snippet process the engine starts afresh (PYTHONPATH points here)."""

import os

# Popped, so that a process the snippet starts (a "spawn" process pool) does not record too.
_fd = int(os.environ.pop("SNIPPET_ENGINE_FD", "-1"))
if _fd >= 0:
    import _snippet_recorder

    _snippet_recorder.install(_fd)
