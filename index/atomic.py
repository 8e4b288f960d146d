"""Files replaced in one step: a reader sees the old content or the new, never half."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` through a temporary file in the same folder, then rename.

    The temporary file is created with the permissions of any new file (0o666 less
    the umask, applied by the system: the process's umask is never changed, which
    other threads would see), and removed if writing fails.

    Args:
        path: the file to create or replace; its folder must exist.
        data: the whole new content.
        mode: permission bits to give the file instead; None keeps a new file's.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            if mode is not None:
                os.fchmod(out.fileno(), mode)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
