"""The cable between a station and the console, as a local TCP relay that can be pulled.

Each demo station reaches the console through its own `Link` (127.0.0.1, a free port). When
the link is cut, new connections are reset and open ones dropped, so the station's HTTP
client sees exactly what a pulled network cable or a switch reboot gives it, its outbox
keeps the events, and they go out when the link is restored.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading


class Link:
    """Relays 127.0.0.1:<port> to `target` (host, port) while connected."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port: int = self._server.getsockname()[1]
        self.connected = True
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name=f"link-{self.port}",
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Link:
        self._thread.start()
        return self

    def cut(self) -> None:
        """Pull the cable: drop open connections, refuse new ones until `restore()`."""
        self.connected = False
        with self._lock:
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def restore(self) -> None:
        self.connected = True

    def stop(self) -> None:
        self._stop.set()
        self.cut()
        self._thread.join(2)
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.connected:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                _close(client)  # a reset: what a station sees with the cable out
                continue
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._open.update((client, upstream))
        peers = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                selector.register(sock, selectors.EVENT_READ)
            try:
                while self.connected and not self._stop.is_set():
                    for key, _ in selector.select(0.2):
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            return
                        peers[key.fileobj].sendall(data)  # type: ignore[index]
            except OSError:
                return
            finally:
                with self._lock:
                    self._open.difference_update(peers)
                for sock in peers:
                    _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
