"""Start ``python name.py`` in a sandbox, and tell the engine exactly how it ended.

Run by the engine as ``bwrap ... python -I -S _snippet_run.py STATUS_FD python -s -u name.py``. Bubblewrap
would report a snippet killed by a signal as exit code 128+N; this writes the snippet's own wait
status (4 bytes) to ``STATUS_FD`` instead. When it exits, bubblewrap (PID 1 of the run) exits too,
and the kernel ends every process the snippet left behind.
"""

import os
import struct
import sys


def main() -> None:
    status_fd = int(sys.argv[1])
    os.set_inheritable(status_fd, False)  # the snippet never sees it
    os.environ.pop("PWD", None)  # set by bubblewrap; the snippet's environment is the engine's alone
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(sys.argv[2], sys.argv[2:])
        finally:
            os._exit(127)
    while True:
        done, status = os.waitpid(pid, 0)
        if done == pid:
            break
    os.write(status_fd, struct.pack("<i", status))


if __name__ == "__main__":
    main()
