"""The simulator's end of the wire: a pseudo-terminal behind a stable path, or a TCP port.

A pty's `/dev/pts/N` dies with its master, and the number may be handed to someone else,
so drivers are given a symlink instead. Unplugging closes the pty and removes the link,
as udev removes `/dev/serial/by-id/...` when a USB adapter is pulled; plugging in again
opens a fresh pty and points the same link at it, so a driver reopening by URL finds it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tty
from pathlib import Path


class PtyLink:
    """A pty whose slave end is reached through the symlink `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._master: int | None = None
        self._slave: int | None = None

    @property
    def url(self) -> str:
        return str(self.path)

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass as on a serial line
        os.set_blocking(master, False)
        staging = self.path.with_name(self.path.name + ".new")
        staging.unlink(missing_ok=True)
        staging.symlink_to(os.ttyname(slave))
        os.replace(staging, self.path)
        # We keep the slave open too, so the master never reads EIO while no driver has it.
        self._master, self._slave = master, slave

    def unplug(self) -> None:
        self.path.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None

    def fileno(self) -> int | None:
        return self._master

    def receive(self) -> bytes:
        if self._master is None:
            return b""
        try:
            return os.read(self._master, 4096)
        except (BlockingIOError, OSError):
            return b""

    def send(self, data: bytes) -> None:
        """Write to the line; like a real line, bytes nobody can take are lost."""
        if self._master is None:
            return
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._master, data)


class TcpLink:
    """A TCP port that serves one client at a time, like an Ethernet serial server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    def plug(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(1)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def unplug(self) -> None:
        for sock in (self._client, self._listener):
            if sock is not None:
                sock.close()
        self._client = self._listener = None

    def fileno(self) -> int | None:
        sock = self._client or self._listener
        return None if sock is None else sock.fileno()

    def receive(self) -> bytes:
        if self._client is None:
            self._accept()
            return b""
        try:
            data = self._client.recv(4096)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError:
            data = b""
        if not data:
            self._client.close()
            self._client = None
        return data

    def send(self, data: bytes) -> None:
        if self._client is None:
            self._accept()
        if self._client is None:
            return
        try:
            self._client.sendall(data)
        except OSError:
            self._client.close()
            self._client = None

    def _accept(self) -> None:
        if self._listener is None:
            return
        try:
            client, _ = self._listener.accept()
        except (BlockingIOError, OSError):
            return
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._client = client
