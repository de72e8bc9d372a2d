"""A TCP proxy on 127.0.0.1 that a test can cut, to take a database away and give it back.

Each accepted connection is joined to a fresh connection to the upstream server by two pump
threads. `cut()` drops every open connection at once and then refuses new ones (the port is
closed, so connecting fails at once), or, with `blackhole=True`, accepts them and never
answers (as a partitioned network does, so only the client's connect timeout ends the wait).
`restore()` listens on the same port again and forwards as before.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

_CHUNK = 65536
_POLL_SECONDS = 0.05


@dataclass
class TcpProxy:
    """Forwards 127.0.0.1:`port` to `upstream`; `cut()` and `restore()` switch it off and on."""

    upstream: tuple[str, int]
    port: int = 0
    accepted: int = 0
    _listener: socket.socket | None = None
    _accept_thread: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _blackhole: bool = False
    _open: set[socket.socket] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> TcpProxy:
        """Listens (on a free port the first time, the same port afterwards) and forwards."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(_POLL_SECONDS)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopping = threading.Event()
        self._accept_thread = threading.Thread(
            target=self._accept, args=(listener, self._stopping), daemon=True
        )
        self._accept_thread.start()
        return self

    def cut(self, *, blackhole: bool = False) -> None:
        """Drops every open connection; new ones are refused, or held unanswered (blackhole)."""
        with self._lock:
            self._blackhole = blackhole
        if not blackhole:
            self._close_listener()
        self._drop_all()

    def restore(self) -> None:
        """Forwards again on the same port; connections held by a blackhole are dropped."""
        with self._lock:
            self._blackhole = False
        self._drop_all()
        if self._listener is None:
            self.start()

    def stop(self) -> None:
        """Closes the port and every connection."""
        self._close_listener()
        self._drop_all()

    @property
    def connections(self) -> int:
        """How many sockets (both sides of each forwarded connection) are open now."""
        with self._lock:
            return len(self._open)

    def _close_listener(self) -> None:
        if self._listener is None:
            return
        self._stopping.set()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
        self._listener.close()
        self._listener = None
        self._accept_thread = None

    def _drop_all(self) -> None:
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket, stopping: threading.Event) -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            self.accepted += 1
            server: socket.socket | None = None
            if not self._blackhole:
                with suppress(OSError):
                    server = socket.create_connection(self.upstream, timeout=5)
            with self._lock:
                # Decided under the lock, so a cut() that has begun never misses a connection.
                held = self._blackhole
                if held:
                    self._open.add(client)  # open and silent until restore() or stop()
                elif server is not None:
                    self._open.update((client, server))
            if held or server is None:
                if server is not None:
                    _close(server)
                if not held:
                    _close(client)
                continue
            server.settimeout(None)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(_CHUNK):
                sink.sendall(data)
        except OSError:
            pass
        self._forget(source)
        self._forget(sink)

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        _close(sock)


def _close(sock: socket.socket) -> None:
    """Shuts down both directions (which wakes a thread blocked in recv) and closes."""
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        sock.close()


@contextmanager
def tcp_proxy(host: str, port: int) -> Iterator[TcpProxy]:
    """A running proxy to host:port, stopped afterwards."""
    proxy = TcpProxy(upstream=(host, port)).start()
    try:
        yield proxy
    finally:
        proxy.stop()
