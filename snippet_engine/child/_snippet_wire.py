"""What the recorder sends the engine: the format of its frames and task messages, and nothing else.

Imported by the recorder (``_snippet_recorder.py``, in the snippet's process) and by the engine
(``snippet_engine/run.py``), so both read one definition. Standard library only.
"""

import struct

MARK = b"\x00\x1b[snippet-frame]"  # starts every frame on stdout and stderr
FRAME = struct.Struct("<ddBH")  # seconds since start, seconds of CPU queue wait, stream (1, 2), payload length
TASK_HEADER = struct.Struct("<ddBH")  # on the task pipe: seconds since start, CPU queue wait, kind, payload length
TASK, START = 3, 4  # kinds of message on the task pipe
