"""What the two worker processes (`index.embed_worker`, `index.tag_worker`) share:
how they are started, and how one takes over its stdout for replies."""

from __future__ import annotations

import os
import signal
import sys
from typing import IO


def command(module: str, *args: str) -> list[str]:
    """The command line running `python -m module args...` in this interpreter.

    -P: a folder named `index` in the working directory must not shadow ours.
    """
    return [sys.executable, "-P", "-m", module, *args]


def reply_stream() -> IO[bytes]:
    """Set up this process as a worker; return the stream its replies go to.

    Ctrl-C is ignored (it is the caller's, which stops the worker), and anything a
    library prints goes to stderr, not into the replies.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return replies
