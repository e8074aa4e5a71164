"""The DNS filter's sockets: a UDP loop (with the upstream exchange) and a TCP server.

UDP is a hand-written readiness loop rather than asyncio: it drains many datagrams per wake-up
and costs far less per query. TCP, which clients use only after a truncated answer, is served
by one thread per connection.
"""

from __future__ import annotations

import logging
import secrets
import select
import selectors
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable

from .dnsfilter import DnsFilter, Forward
from .dnswire import HEADER

log = logging.getLogger(__name__)
BURST = 64
TCP_IDLE = 10.0


def parse_hostport(text: str, default_port: int = 53) -> tuple[str, int]:
    """``HOST:PORT``, ``[v6]:PORT`` or ``HOST`` into (host, port)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, default_port


def bind_sockets(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """UDP and TCP sockets on the same address; port 0 picks one free for both."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(20):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        udp.bind((host, port))
        chosen = udp.getsockname()[1]
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, chosen))
        except OSError:
            udp.close()
            tcp.close()
            if port:
                raise
            continue
        tcp.listen(128)
        return udp, tcp
    raise OSError(f"no free port on {host} for both UDP and TCP")


class UdpLoop:
    """Serves one UDP socket; forwards to the upstream with fresh IDs and a deadline each."""

    def __init__(
        self,
        sock: socket.socket,
        upstream: tuple[str, int],
        dns: DnsFilter,
        *,
        timeout: float = 2.0,
        tick: Callable[[], None] | None = None,
    ) -> None:
        self.sock = sock
        self.dns = dns
        self.timeout = timeout
        self.tick = tick
        self.running = True
        family = socket.AF_INET6 if ":" in upstream[0] else socket.AF_INET
        self.up = socket.socket(family, socket.SOCK_DGRAM)
        self.up.connect(upstream)
        self.up.setblocking(False)
        self.sock.setblocking(False)
        self.pending: dict[int, tuple[Forward, tuple[str, int], float]] = {}
        self.deadlines: deque[tuple[float, int]] = deque()

    def serve(self) -> None:
        """Run until `running` is cleared (checked at least twice a second)."""
        if hasattr(select, "epoll"):
            self._serve_epoll()
            return
        selector = selectors.DefaultSelector()
        selector.register(self.sock, selectors.EVENT_READ, self._clients)
        selector.register(self.up, selectors.EVENT_READ, self._upstream)
        try:
            while self.running:
                for key, _ in selector.select(0.5 if not self.deadlines else 0.05):
                    key.data()
                self._expire(time.monotonic())
                if self.tick is not None:
                    self.tick()
        finally:
            selector.close()
            self.up.close()

    def _serve_epoll(self) -> None:
        """As `serve`, on Linux: worker processes share the client socket, and each packet
        wakes only one of those waiting for it (EPOLLEXCLUSIVE), not all of them."""
        poller = select.epoll()
        clients = self.sock.fileno()
        poller.register(clients, select.EPOLLIN | select.EPOLLEXCLUSIVE)
        poller.register(self.up.fileno(), select.EPOLLIN)
        try:
            while self.running:
                for fd, _ in poller.poll(0.5 if not self.deadlines else 0.05):
                    if fd == clients:
                        self._clients()
                    else:
                        self._upstream()
                if self.deadlines:
                    self._expire(time.monotonic())
                if self.tick is not None:
                    self.tick()
        finally:
            poller.close()
            self.up.close()

    def _clients(self) -> None:
        """Answer a burst of packets; the replies go out together at the end.

        Sent back to back, they find a client still awake from the first one, instead of
        waking it for each (which costs both sides more than the answers themselves).
        """
        recv, send, forward = self.sock.recvfrom, self.sock.sendto, self._forward
        burst = self.dns.burst()
        answer, clients, now, start, append = (
            burst.answer,
            burst.clients,
            burst.now,
            burst.start,
            burst.append,
        )
        replies: list[tuple[bytes, tuple[str, int]]] = []
        put = replies.append
        for _ in range(BURST):
            try:
                data, address = recv(4096)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue
            # A packet the filter remembers is answered here (see Burst): the hot path.
            known = clients.get(address[0])
            if known is not None:
                entry = known.memo.get(data[2:])
                if entry is not None and entry[2] > now:
                    if entry[1] is not None:
                        append(start + known.text + entry[1])
                    put((data[:2] + entry[0], address))
                    continue
            reply = answer(data, address[0])
            if type(reply) is bytes:
                put((reply, address))
            elif reply is not None:
                forward(reply, address)  # type: ignore[arg-type]
        for reply, address in replies:
            try:
                send(reply, address)
            except OSError as exc:
                log.debug("could not answer %s: %s", address, exc)

    @staticmethod
    def _send(
        send: Callable[[bytes, tuple[str, int]], int], reply: bytes, address: tuple[str, int]
    ) -> None:
        try:
            send(reply, address)
        except OSError as exc:
            log.debug("could not answer %s: %s", address, exc)

    def _forward(self, job: Forward, address: tuple[str, int]) -> None:
        ident = secrets.randbits(16)
        while ident in self.pending:
            ident = secrets.randbits(16)
        packet = struct.pack("!H", ident) + job.packet[2:]
        try:
            self.up.send(packet)
        except OSError:
            self._send(self.sock.sendto, self.dns.failed(job), address)
            return
        deadline = time.monotonic() + self.timeout
        self.pending[ident] = (job, address, deadline)
        self.deadlines.append((deadline, ident))

    def _upstream(self) -> None:
        for _ in range(BURST):
            try:
                data = self.up.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # ICMP "port unreachable": the upstream is down. Fail everything waiting.
                self._fail_all()
                return
            self._upstream_reply(data)

    def _upstream_reply(self, data: bytes) -> None:
        if len(data) < 12:
            return
        ident = HEADER.unpack_from(data)[0]
        found = self.pending.get(ident)
        if found is None:
            return
        job, address, _ = found
        if data[12 : 12 + len(job.key)].lower() != job.key:
            return  # not the question we asked: ignore it (spoofing or confusion)
        del self.pending[ident]
        self._send(self.sock.sendto, self.dns.upstream_reply(job, data), address)

    def _expire(self, now: float) -> None:
        while self.deadlines and self.deadlines[0][0] <= now:
            _, ident = self.deadlines.popleft()
            found = self.pending.get(ident)
            if found is not None and found[2] <= now:
                del self.pending[ident]
                self._send(self.sock.sendto, self.dns.failed(found[0]), found[1])

    def _fail_all(self) -> None:
        for job, address, _ in self.pending.values():
            self._send(self.sock.sendto, self.dns.failed(job), address)
        self.pending.clear()
        self.deadlines.clear()


class TcpServer:
    """Serves DNS over TCP (length-prefixed messages), one thread per connection."""

    def __init__(
        self, sock: socket.socket, upstream: tuple[str, int], dns: DnsFilter, timeout: float = 2.0
    ) -> None:
        self.sock = sock
        self.upstream = upstream
        self.dns = dns
        self.timeout = timeout
        self.running = True

    def serve(self) -> None:
        """Accept connections until `running` is cleared."""
        self.sock.settimeout(0.5)
        while self.running:
            try:
                conn, address = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if not self.running:
                    return
                continue
            threading.Thread(target=self._connection, args=(conn, address[0]), daemon=True).start()

    def _connection(self, conn: socket.socket, client: str) -> None:
        conn.settimeout(TCP_IDLE)
        with conn:
            while self.running:
                data = _read_message(conn)
                if data is None:
                    return
                reply = self.dns.answer(data, client, stream=True)
                if isinstance(reply, Forward):
                    reply = self._exchange(reply)
                if reply is None:
                    return
                conn.sendall(struct.pack("!H", len(reply)) + reply)

    def _exchange(self, job: Forward) -> bytes:
        """Ask the upstream over UDP, then over TCP if the reply was truncated."""
        data = self._udp_exchange(job.packet)
        if data is not None and data[2] & 0x02:
            data = self._tcp_exchange(job.packet)
        if data is None or data[:2] != job.packet[:2]:
            return self.dns.failed(job)
        return self.dns.upstream_reply(job, data)

    def _udp_exchange(self, packet: bytes) -> bytes | None:
        family = socket.AF_INET6 if ":" in self.upstream[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as up:
            up.settimeout(self.timeout)
            try:
                up.connect(self.upstream)
                up.send(packet)
                while True:
                    data = up.recv(65535)
                    if data[:2] == packet[:2]:
                        return data
            except OSError:
                return None

    def _tcp_exchange(self, packet: bytes) -> bytes | None:
        try:
            with socket.create_connection(self.upstream, timeout=self.timeout) as up:
                up.sendall(struct.pack("!H", len(packet)) + packet)
                return _read_message(up)
        except OSError:
            return None


def _read_message(conn: socket.socket) -> bytes | None:
    """One length-prefixed message, or None at the end of the stream or on a timeout."""
    try:
        head = _read_exactly(conn, 2)
        return None if head is None else _read_exactly(conn, struct.unpack("!H", head)[0])
    except OSError:
        return None


def _read_exactly(conn: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)
