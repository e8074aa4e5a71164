"""The DNS filter's core: one packet in, an answer or a forwarding job out. No sockets.

The policy's decision is turned into an answer here: blocked names get NXDOMAIN or the block
page's address, safe-search names a CNAME to the safe host (followed through the upstream
resolver), and everything else the upstream's reply, from the cache when it is fresh.

In front of all that sits a memory of whole replies, so that a packet seen before costs one
dictionary lookup (see `DnsFilter.burst`).
"""

from __future__ import annotations

import ipaddress
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from safeschool.engine import ALLOW, BLOCK, Decision, Policy, PolicyHolder
from safeschool.eventlog import Sink, json_text

from . import dnswire as wire
from .dnscache import ReplyCache

BLOCK_TTL = 60
MEMO_SIZE = 100_000
"""Replies remembered, all client groups together; the memory starts afresh when full."""
CLIENTS_SIZE = 65_536
"""Client addresses whose group is remembered."""
FOREVER = float("inf")


@dataclass(frozen=True)
class BlockSettings:
    """How blocked names are answered."""

    mode: str = "address"
    """``address``: the block page's address for A/AAAA (NXDOMAIN when none is known);
    ``nxdomain``: always NXDOMAIN."""
    ipv4: str | None = None
    """Address for A answers; by default taken from the block page URL when it is an address."""
    ipv6: str | None = None


@dataclass(frozen=True, slots=True)
class Forward:
    """A question to send upstream; `packet` needs only its ID set."""

    query: wire.Query
    packet: bytes
    key: bytes
    cname: str | None = None


@dataclass(frozen=True, slots=True)
class _Rebuild:
    """How to renew a remembered answer that came from the cache, once its second is over."""

    query: wire.Query
    key: bytes
    """The cache key (the lower-cased question asked upstream)."""
    question: bytes
    """The question asked upstream as it goes into the copy from the cache."""
    target: str | None = None
    """For safe search: the safe host the CNAME points to."""


Entry = tuple[bytes, bytes | None, float, _Rebuild | None]
"""A remembered reply: the reply after its 2-byte ID; the end of its event (None when it is not
logged); the cache-clock time it is good until; how to renew it (None for blocks)."""


class _Client:
    """One client address: the replies it may be given, and its part of an event."""

    __slots__ = ("memo", "own", "text")

    def __init__(self, memo: dict[bytes, Entry], text: bytes) -> None:
        self.memo = memo
        """Remembered replies: its group's, shared, unless `own`."""
        self.own = False
        """True once the client has a memory of its own (see `DnsFilter._remember`)."""
        self.text = text
        """``"<address>",``: the client's part of an event."""


class Burst(NamedTuple):
    """Answering a burst of UDP packets (see `DnsFilter.burst`).

    `answer` takes a packet and the client's address. The other fields let a server loop
    answer a remembered packet itself, without the call: ``known = clients.get(address)``;
    then, when ``entry = known.memo.get(packet[2:])`` is not None and ``entry[2] > now``,
    the reply is ``packet[:2] + entry[0]``, and unless ``entry[1]`` is None the event
    ``start + known.text + entry[1]`` goes to the event log (the loop hands over a burst's
    events at once). Anything else goes to `answer`.
    """

    answer: Callable[[bytes, str], bytes | Forward | None]
    clients: dict[str, _Client]
    now: float
    """The cache clock's time, read at the start of the burst."""
    start: bytes
    """The start of every event in the burst (the time, the source)."""


class DnsFilter:
    """Answers queries from the policy in force, the cache, or (via Forward) the upstream."""

    def __init__(
        self,
        holder: PolicyHolder,
        cache: ReplyCache,
        events: Sink,
        *,
        block: BlockSettings | None = None,
        log_allowed: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.holder = holder
        self.cache = cache
        self.events = events
        self.block = block or BlockSettings()
        self.log_allowed = log_allowed
        self.clock = clock
        """Wall-clock time: events are stamped with it, and schedules change on its minutes."""
        self._addresses: dict[str, tuple[bytes | None, bytes | None]] = {}
        self._policy: Policy | None = None
        self._minute = -1
        self._clients: dict[str, _Client] = {}
        self._groups: dict[int, dict[bytes, Entry]] = {}
        self._remembered = 0
        self._event_ends: dict[tuple[str, str | None, str | None, str], bytes] = {}

    def answer(self, data: bytes, client: str, stream: bool = False) -> bytes | Forward | None:
        """The reply to one packet, a Forward job, or None when it should be dropped.

        `stream` is for TCP, where answers are never truncated (and never remembered).
        """
        if stream:
            wall = self.clock()
            return self._compute(data, client, True, self._event_start(wall), False)
        now, start = self._begin()
        return self._lookup(data, client, now, start)

    def burst(self) -> Burst:
        """What answers UDP packets as `answer` does, for the next few milliseconds.

        The clocks are read once for the whole burst. Replies are remembered per client group
        and per packet after its ID (flags, question exactly as spelled, EDNS), so a packet
        seen before is answered with its new ID and the remembered rest. Blocks and safe-search
        answers are good until the policy is replaced or, when it has schedules, the minute
        changes (schedules are minute-granular); answers from the cache until their TTLs would
        next be lowered, or they expire, and then they are renewed from the cache.
        """
        now, start = self._begin()
        lookup = self._lookup

        def answer(data: bytes, client: str) -> bytes | Forward | None:
            return lookup(data, client, now, start)

        return Burst(answer, self._clients, now, start)

    def _begin(self) -> tuple[float, bytes]:
        """Read the clocks; forget everything when the policy or (if it matters) the minute
        has changed. The cache clock's time and the start of the events."""
        wall = self.clock()
        now = self.cache.clock()
        policy = self.holder.policy
        minute = int(wall // 60) if policy is not None and policy.timed else 0
        if policy is not self._policy or minute != self._minute:
            self._forget()
            self._policy, self._minute = policy, minute
        return now, self._event_start(wall)

    def _lookup(self, data: bytes, client: str, now: float, start: bytes) -> bytes | Forward | None:
        """The remembered reply (renewed from the cache if its second is over), else the
        whole way."""
        known = self._clients.get(client)
        if known is not None:
            key = data[2:]
            entry = known.memo.get(key)
            if entry is not None:
                if entry[2] <= now:
                    entry = self._renew(known.memo, key, entry)
                if entry is not None:
                    if entry[1] is not None:
                        self.events.append(start + known.text + entry[1])
                    return data[:2] + entry[0]
        return self._compute(data, client, False, start, True)

    def _forget(self) -> None:
        """Drop every remembered reply and client group (in place: bursts hold the dicts)."""
        self._clients.clear()
        self._groups.clear()
        self._remembered = 0

    @staticmethod
    def _event_start(wall: float) -> bytes:
        return b'{"t":%.3f,"src":"dns","client":' % wall

    def _compute(
        self, data: bytes, client: str, stream: bool, start: bytes, remember: bool
    ) -> bytes | Forward | None:
        """The whole way: read the packet, decide, log, answer; remember the answer."""
        try:
            query = wire.parse_query(data)
        except (wire.WireError, struct.error, UnicodeDecodeError):
            return wire.error_reply(data, wire.FORMERR)
        if stream:
            query = replace(query, udp_size=65535)
        if query.flags & wire.OPCODE_MASK:
            return wire.rcode_reply(query, wire.NOTIMP)
        policy = self.holder.policy
        if policy is None:
            return wire.rcode_reply(query, wire.SERVFAIL)
        decision = policy.decide_dns(query.name, client)
        tail = self._event_end(query, decision)
        if tail is not None:
            self.events.append(start + json_text(client) + b"," + tail)
        rebuild = None
        if decision.action == BLOCK:
            reply, until = self._blocked(query, decision), FOREVER
        elif decision.cname:
            question = wire.encode_name(decision.cname) + struct.pack(
                "!HH", query.qtype, query.qclass
            )
            rebuild = _Rebuild(query, question.lower(), question, decision.cname)
            found = self._from_cache(rebuild)
            if found is None:
                header = wire.HEADER.pack(0, wire.RD, 1, 0, 0, 0)
                return Forward(query, header + question, rebuild.key, decision.cname)
            reply, until = found
        else:
            rebuild = _Rebuild(query, query.question.lower(), query.question)
            found = self._from_cache(rebuild)
            if found is None:
                return Forward(query, data, rebuild.key)
            reply, until = found
        if remember and policy is self._policy:
            self._remember(data[2:], client, policy, decision, (reply[2:], tail, until, rebuild))
        return reply

    def _from_cache(self, rebuild: _Rebuild) -> tuple[bytes, float] | None:
        """The answer from the cache and how long it stays exact, or None on a miss."""
        query = rebuild.query
        found = self.cache.lookup(rebuild.key, query.id, rebuild.question)
        if found is None:
            return None
        reply, until = found
        if rebuild.target is not None:
            reply = self._spliced(query, rebuild.target, reply)
        return self.fit(query, reply), until

    def _renew(self, memo: dict[bytes, Entry], key: bytes, entry: Entry) -> Entry | None:
        """A remembered answer from the cache, past its second: the cache's copy as it is now.

        The decision (and so the event) still stands: only a new policy or minute changes it,
        and either empties the memory. None when the cache no longer has it (the upstream is
        asked again, the whole way).
        """
        rebuild = entry[3]
        found = None if rebuild is None else self._from_cache(rebuild)
        if found is None:
            del memo[key]
            self._remembered -= 1
            return None
        reply, until = found
        renewed = memo[key] = (reply[2:], entry[1], until, rebuild)
        return renewed

    def _remember(
        self, key: bytes, client: str, policy: Policy, decision: Decision, entry: Entry
    ) -> None:
        if self._remembered >= MEMO_SIZE or len(self._clients) >= CLIENTS_SIZE:
            self._forget()
        known = self._clients.get(client)
        if known is None:
            group = policy.group_for(client, None, datetime.now())
            memo = self._groups.setdefault(id(group), {})
            known = self._clients[client] = _Client(memo, json_text(client) + b",")
        if decision.action == BLOCK and decision.redirect and not known.own:
            # The block page's address comes from its URL, which may name the client (%a):
            # then this client's answers are kept apart from its group's. (Also when the
            # client's address merely appears in it: that only costs sharing.)
            server = "/".join(decision.redirect.split("/", 3)[:3])
            if client in server:
                known.memo, known.own = {}, True
        memo = known.memo
        if key not in memo:
            self._remembered += 1
        memo[key] = entry

    def upstream_reply(self, job: Forward, reply: bytes) -> bytes:
        """The answer to the client, given the upstream's reply to a Forward job."""
        self.cache.store(job.key, reply)
        if job.cname is None:
            out = bytearray(reply)
            struct.pack_into("!H", out, 0, job.query.id)
            return self.fit(job.query, bytes(out))
        return self.fit(job.query, self._spliced(job.query, job.cname, reply))

    def failed(self, job: Forward) -> bytes:
        """SERVFAIL for a Forward job the upstream did not answer."""
        return wire.rcode_reply(job.query, wire.SERVFAIL)

    @staticmethod
    def fit(query: wire.Query, reply: bytes) -> bytes:
        """The reply, truncated with TC set when the client cannot take it over UDP."""
        if len(reply) <= query.udp_size:
            return reply
        return wire.truncated(reply, 12 + len(query.question))

    def _blocked(self, query: wire.Query, decision: Decision) -> bytes:
        if self.block.mode == "nxdomain":
            return wire.rcode_reply(query, wire.NXDOMAIN)
        ipv4, ipv6 = self._block_addresses(decision)
        if ipv4 is None and ipv6 is None:
            return wire.rcode_reply(query, wire.NXDOMAIN)
        records = []
        if query.qtype == wire.TYPE_A and ipv4 is not None:
            records.append(wire.record(b"\xc0\x0c", wire.TYPE_A, BLOCK_TTL, ipv4))
        elif query.qtype == wire.TYPE_AAAA and ipv6 is not None:
            records.append(wire.record(b"\xc0\x0c", wire.TYPE_AAAA, BLOCK_TTL, ipv6))
        return wire.answer_reply(query, records)

    def _block_addresses(self, decision: Decision) -> tuple[bytes | None, bytes | None]:
        """Addresses to answer with; remembered per block page server (the URL's authority)."""
        server = (decision.redirect or "").split("/", 3)[:3]
        key = "/".join(server)
        found = self._addresses.get(key)
        if found is None:
            if len(self._addresses) > 1000:
                self._addresses.clear()
            found = self._addresses[key] = self._find_block_addresses(key)
        return found

    def _find_block_addresses(self, server: str) -> tuple[bytes | None, bytes | None]:
        ipv4, ipv6 = self.block.ipv4, self.block.ipv6
        page = _address_in_url(server)
        if page is not None:
            if page.version == 4 and ipv4 is None:
                ipv4 = str(page)
            elif page.version == 6 and ipv6 is None:
                ipv6 = str(page)
        return (
            ipaddress.IPv4Address(ipv4).packed if ipv4 else None,
            ipaddress.IPv6Address(ipv6).packed if ipv6 else None,
        )

    def _spliced(self, query: wire.Query, target: str, reply: bytes) -> bytes:
        """CNAME from the asked name to the safe host, then the upstream's records for it."""
        try:
            rcode, records = wire.read_answers(reply)
        except wire.WireError:
            return wire.rcode_reply(query, wire.SERVFAIL)
        cname = wire.record(b"\xc0\x0c", wire.TYPE_CNAME, BLOCK_TTL, wire.encode_name(target))
        return wire.answer_reply(query, [cname, *(r.encode() for r in records)], rcode)

    def _event_end(self, query: wire.Query, decision: Decision) -> bytes | None:
        """The event's fields after the time and client, as JSON text (None: not logged)."""
        if decision.action == ALLOW and not self.log_allowed:
            return None
        outcome = (decision.action, decision.category, decision.group, decision.rule)
        end = self._event_ends.get(outcome)
        if end is None:
            if len(self._event_ends) >= 10_000:
                self._event_ends.clear()
            end = b',"action":%s,"category":%s,"group":%s,"rule":%s}' % (
                json_text(decision.action),
                json_text(decision.category),
                json_text(decision.group),
                json_text(decision.rule),
            )
            self._event_ends[outcome] = end
        return b'"host":%s,"qtype":%d%s' % (json_text(query.name), query.qtype, end)


def _address_in_url(url: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The block page's address, when its URL names the server by address."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
        return ipaddress.ip_address(host) if host else None
    except ValueError:
        return None
