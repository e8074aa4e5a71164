"""The DNS filter's sockets: a UDP loop (with the upstream exchange) and a TCP server.

UDP is a hand-written readiness loop rather than asyncio: it drains many datagrams per wake-up
and costs far less per query. TCP, which clients use only after a truncated answer, is served
by one thread per connection.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import secrets
import select
import selectors
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable

from safeschool.eventlog import Encoded, Event

from .dnsfilter import DnsFilter, Forward
from .dnswire import HEADER

log = logging.getLogger(__name__)
BURST = 64
SLOT = 4096
"""Largest datagram read from a client (longer ones are cut, as `recvfrom(4096)` would)."""
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


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_void_p),
        ("namelen", ctypes.c_uint32),
        ("iov", ctypes.c_void_p),
        ("iovlen", ctypes.c_size_t),
        ("control", ctypes.c_void_p),
        ("controllen", ctypes.c_size_t),
        ("flags", ctypes.c_int),
    ]


class _Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", _Msghdr), ("len", ctypes.c_uint)]


_NAME = 28  # sizeof(struct sockaddr_in6), room for either family


class BatchIO:
    """A burst of datagrams in one system call each way: Linux's recvmmsg and sendmmsg.

    Called through ctypes on fixed buffers: `receive` fills up to `size` slots, and the
    packets, their lengths and their senders are read from the buffers; `send` copies the
    replies into send slots addressed to the senders of the given receive slots. The senders'
    addresses are only valid until the next `receive`.
    """

    def __init__(self, sock: socket.socket, size: int = BURST) -> None:
        if not sys.platform.startswith("linux") or sock.family not in (
            socket.AF_INET,
            socket.AF_INET6,
        ):
            raise OSError("recvmmsg and sendmmsg are only used on Linux, for IP sockets")
        if ctypes.sizeof(ctypes.c_void_p) != 8 or ctypes.sizeof(ctypes.c_size_t) != 8:
            raise OSError("recvmmsg and sendmmsg are only used on 64-bit systems")
        libc = ctypes.CDLL(None, use_errno=True)
        self._recvmmsg = libc.recvmmsg
        self._recvmmsg.argtypes = [
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_void_p,
        ]
        self._recvmmsg.restype = ctypes.c_int
        self._sendmmsg = libc.sendmmsg
        self._sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
        self._sendmmsg.restype = ctypes.c_int
        self.sock = sock
        self.size = size
        self.v4 = sock.family == socket.AF_INET
        namelen = 16 if self.v4 else _NAME
        # The part of a sender's address that names the client: IPv4 address, or IPv6
        # address and scope.
        self.key = (4, 8) if self.v4 else (8, 28)
        self._fd = sock.fileno()
        # Buffers (kept referenced here for as long as the kernel may use them).
        self._in = ctypes.create_string_buffer(size * SLOT)
        self._out = ctypes.create_string_buffer(size * SLOT)
        self._names = ctypes.create_string_buffer(size * _NAME)
        self._in_iov = (_Iovec * size)()
        self._out_iov = (_Iovec * size)()
        self._in_hdr = (_Mmsghdr * size)()
        self._out_hdr = (_Mmsghdr * size)()
        names = ctypes.addressof(self._names)
        for i in range(size):
            self._in_iov[i].base = ctypes.addressof(self._in) + i * SLOT
            self._in_iov[i].len = SLOT
            self._out_iov[i].base = ctypes.addressof(self._out) + i * SLOT
            for hdr, iov in ((self._in_hdr, self._in_iov), (self._out_hdr, self._out_iov)):
                hdr[i].hdr.name = names + i * _NAME
                hdr[i].hdr.namelen = namelen
                hdr[i].hdr.iov = ctypes.addressof(iov) + i * ctypes.sizeof(_Iovec)
                hdr[i].hdr.iovlen = 1
        self._fresh = bytes(self._in_hdr)  # namelen and flags are written by the kernel
        self._in_addr = ctypes.addressof(self._in_hdr)
        self._out_addr = ctypes.addressof(self._out_hdr)
        self.names = names
        self.packets = memoryview(self._in).cast("B")
        self._replies = memoryview(self._out).cast("B")
        stride = ctypes.sizeof(_Mmsghdr)
        lengths = memoryview(self._in_hdr).cast("B").cast("I")
        self._lengths = lengths[_Mmsghdr.len.offset // 4 :: stride // 4]
        pointers = memoryview(self._out_hdr).cast("B").cast("P")
        self._out_names = pointers[_Msghdr.name.offset // 8 :: stride // 8]
        self._out_lengths = memoryview(self._out_iov).cast("B").cast("Q")[1::2]
        self.offsets = [(i * SLOT, i * _NAME) for i in range(size)]

    def receive(self) -> tuple[list[int], bytes]:
        """Read up to `size` datagrams: their lengths, and their senders' addresses (one
        `_NAME`-byte slot each). Nothing when none is waiting."""
        ctypes.memmove(self._in_addr, self._fresh, len(self._fresh))
        count = self._recvmmsg(self._fd, self._in_addr, self.size, socket.MSG_DONTWAIT, None)
        if count <= 0:
            if count < 0 and ctypes.get_errno() not in (errno.EAGAIN, errno.EINTR):
                log.debug("recvmmsg: %s", errno.errorcode.get(ctypes.get_errno(), "?"))
            return [], b""
        return self._lengths[:count].tolist(), ctypes.string_at(self.names, count * _NAME)

    def send(self, replies: list[tuple[bytes, int]], names: bytes) -> None:
        """Send each reply to the sender of the receive slot given with it."""
        out, lengths, pointers, base = self._replies, self._out_lengths, self._out_names, 0
        count = 0
        for reply, slot in replies:
            size = len(reply)
            if size > SLOT:
                self._send_one(reply, self.address(names, slot))
                continue
            out[base : base + size] = reply
            lengths[count] = size
            pointers[count] = self.names + slot * _NAME
            count += 1
            base += SLOT
        done = 0
        while done < count:
            sent = self._sendmmsg(
                self._fd, self._out_addr + done * ctypes.sizeof(_Mmsghdr), count - done, 0
            )
            if sent <= 0:
                log.debug("sendmmsg: %s", errno.errorcode.get(ctypes.get_errno(), "?"))
                done += 1  # that reply is lost, as with a failing sendto
            else:
                done += sent

    def _send_one(self, reply: bytes, address: tuple[str, int]) -> None:
        try:
            self.sock.sendto(reply, address)
        except OSError as exc:
            log.debug("could not answer %s: %s", address, exc)

    def client(self, key: bytes) -> str:
        """The client's address as text, as `recvfrom` gives it, from the key's bytes."""
        if self.v4:
            return socket.inet_ntop(socket.AF_INET, key)
        text = socket.inet_ntop(socket.AF_INET6, key[:16])
        scope = int.from_bytes(key[16:20], sys.byteorder)
        if scope:
            text = socket.getnameinfo((text, 0, 0, scope), socket.NI_NUMERICHOST)[0]
        return text

    def address(self, names: bytes, slot: int) -> tuple[str, int]:
        """The sender of a receive slot as an address for `sendto`."""
        raw = names[slot * _NAME : (slot + 1) * _NAME]
        port = int.from_bytes(raw[2:4], "big")
        if self.v4:
            return socket.inet_ntop(socket.AF_INET, raw[4:8]), port
        flow = int.from_bytes(raw[4:8], "big")
        scope = int.from_bytes(raw[24:28], sys.byteorder)
        return (socket.inet_ntop(socket.AF_INET6, raw[8:24]), port, flow, scope)  # type: ignore[return-value]


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
        batch_io: bool = True,
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
        self.batch: BatchIO | None = None
        if batch_io:
            try:
                self.batch = BatchIO(sock)
            except (OSError, AttributeError) as exc:
                log.info("answering one datagram per system call: %s", exc)
        self._texts: dict[bytes, str] = {}

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
        if self.batch is not None:
            self._clients_batched(self.batch)
            return
        recv, send, forward = self.sock.recvfrom, self.sock.sendto, self._forward
        burst = self.dns.burst()
        answer, clients, now, start = burst.answer, burst.clients, burst.now, burst.start
        logged: list[Event | Encoded] = []  # handed to the event log once, after the burst
        append = logged.append
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
        if logged:  # queued before the answers leave, as each one was before
            self.dns.events.extend(logged)
        for reply, address in replies:
            try:
                send(reply, address)
            except OSError as exc:
                log.debug("could not answer %s: %s", address, exc)

    def _clients_batched(self, batch: BatchIO) -> None:
        """`_clients` with one system call for the burst each way (see BatchIO)."""
        lengths, names = batch.receive()
        if not lengths:
            return
        burst = self.dns.burst()
        answer, clients, now, start = burst.answer, burst.clients, burst.now, burst.start
        logged: list[Event | Encoded] = []  # handed to the event log once, after the burst
        append = logged.append
        packets, texts, (first, last) = batch.packets, self._texts, batch.key
        replies: list[tuple[bytes, int]] = []
        put = replies.append
        for slot, (length, (at, name)) in enumerate(zip(lengths, batch.offsets, strict=False)):
            data = packets[at : at + length].tobytes()
            key = names[name + first : name + last]
            client = texts.get(key)
            if client is None:
                if len(texts) >= 65536:
                    texts.clear()
                client = texts[key] = batch.client(key)
            # A packet the filter remembers is answered here (see Burst): the hot path.
            known = clients.get(client)
            if known is not None:
                entry = known.memo.get(data[2:])
                if entry is not None and entry[2] > now:
                    if entry[1] is not None:
                        append(start + known.text + entry[1])
                    put((data[:2] + entry[0], slot))
                    continue
            reply = answer(data, client)
            if type(reply) is bytes:
                put((reply, slot))
            elif reply is not None:
                self._forward(reply, batch.address(names, slot))  # type: ignore[arg-type]
        if logged:  # queued before the answers leave, as each one was before
            self.dns.events.extend(logged)
        batch.send(replies, names)

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
