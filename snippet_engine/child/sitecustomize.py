"""Imported at start-up by a snippet process the engine starts afresh (PYTHONPATH points here)."""

import os

# Popped, so that a process the snippet starts (a "spawn" process pool) does not record too.
_fd = int(os.environ.pop("SNIPPET_ENGINE_FD", "-1"))
if _fd >= 0:
    import signal

    import _snippet_recorder

    # As started from a terminal, where Ctrl-C raises KeyboardInterrupt: also when the engine runs
    # where SIGINT is ignored (a background job), which Python would otherwise pass on to the snippet.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    _snippet_recorder.install(_fd)
