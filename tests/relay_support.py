"""A TCP relay in front of an emulated host whose connections can be cut, as a dropped network or a host that
went away looks to a client (the emulator's own stop closes its connections politely, which is not the same).
"""

from __future__ import annotations

import contextlib
import socket
import threading


class DroppingProxy:
    """Relays to `target_port`; `cut()` cuts the open connections, `drop()` also refuses new ones until
    `back()` (the host is gone), `close()` ends it."""

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self.refusing = threading.Event()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while not self._closed:
                client = self._listener.accept()[0]
                if self.refusing.is_set():
                    client.close()
                    continue
                upstream = socket.create_connection(self._target)
                self._sockets += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        """Cut every open connection (new ones are still relayed)."""
        sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def drop(self) -> None:
        """The host is gone: open connections are cut, new ones refused (until `back`)."""
        self.refusing.set()
        self.cut()

    def back(self) -> None:
        self.refusing.clear()

    def close(self) -> None:
        self._closed = True
        self.drop()
        self._listener.close()
