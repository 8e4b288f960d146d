"""Running an ASGI app with uvicorn on a socket bound first (so a busy port is a clear error)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from typing import Any

import uvicorn

from qa.errors import QAError


@dataclass
class Running:
    """A server started by `start_server` in a background thread."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port).

    Raises:
        QAError: the address is in use or not available.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise QAError(f"cannot listen on {host}:{port} ({exc.strerror}): pick another "
                      "port with --port N") from exc
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http URL of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run_server(app: Any, sock: socket.socket) -> None:
    """Serve `app` on `sock` until interrupted."""
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


def start_server(app: Any, host: str = "127.0.0.1", port: int = 0) -> Running:
    """Serve `app` in a background thread; return once it accepts connections.

    Args:
        app: an ASGI app.
        host, port: where to listen (port 0: any free port).

    Returns:
        The running server, with its URL.
    """
    sock = bind(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.05)
    return Running(url_of(sock), server, thread)
