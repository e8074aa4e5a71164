"""The DNS filter's core: one packet in, an answer or a forwarding job out. No sockets.

The policy's decision is turned into an answer here: blocked names get NXDOMAIN or the block
page's address, safe-search names a CNAME to the safe host (followed through the upstream
resolver), and everything else the upstream's reply, from the cache when it is fresh.
"""

from __future__ import annotations

import ipaddress
import struct
import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from safeschool.engine import ALLOW, BLOCK, Decision, Policy, PolicyHolder
from safeschool.eventlog import Sink

from . import dnswire as wire
from .dnscache import ReplyCache

BLOCK_TTL = 60
MEMO_SIZE = 200_000


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
    ) -> None:
        self.holder = holder
        self.cache = cache
        self.events = events
        self.block = block or BlockSettings()
        self.log_allowed = log_allowed
        self._memo: dict[tuple[str, str], Decision] = {}
        self._memo_policy: Policy | None = None
        self._memo_second = 0
        self._addresses: dict[str, tuple[bytes | None, bytes | None]] = {}

    def answer(self, data: bytes, client: str, stream: bool = False) -> bytes | Forward | None:
        """The reply to one packet, a Forward job, or None when it should be dropped.

        `stream` is for TCP, where answers are never truncated.
        """
        try:
            query = wire.parse_query(data)
        except (wire.WireError, struct.error, UnicodeDecodeError):
            return wire.error_reply(data, wire.FORMERR)
        if stream:
            query = replace(query, udp_size=65535)
        if query.flags & wire.OPCODE_MASK:
            return wire.rcode_reply(query, wire.NOTIMP)
        decision = self._decide(query.name, client)
        if decision is None:
            return wire.rcode_reply(query, wire.SERVFAIL)
        self._log(query, client, decision)
        if decision.action == BLOCK:
            return self._blocked(query, decision)
        if decision.cname:
            return self._safe_search(query, decision.cname)
        key = query.question.lower()
        cached = self.cache.get(key, query.id, query.question)
        if cached is not None:
            return self.fit(query, cached)
        return Forward(query, data, key)

    def _decide(self, name: str, client: str) -> Decision | None:
        """The policy's decision, remembered for up to a second per name and client.

        Schedules change on the minute, so a second's memory changes no answer; a new policy
        starts with an empty memory.
        """
        policy = self.holder.policy
        if policy is None:
            return None
        second = int(time.monotonic())
        if policy is not self._memo_policy or second != self._memo_second:
            self._memo.clear()
            self._memo_policy, self._memo_second = policy, second
        key = (name, client)
        decision = self._memo.get(key)
        if decision is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            decision = self._memo[key] = policy.decide_dns(name, client)
        return decision

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

    def _safe_search(self, query: wire.Query, target: str) -> bytes | Forward:
        question = wire.encode_name(target) + struct.pack("!HH", query.qtype, query.qclass)
        key = question.lower()
        cached = self.cache.get(key, query.id, question)
        if cached is not None:
            return self.fit(query, self._spliced(query, target, cached))
        header = wire.HEADER.pack(0, wire.RD, 1, 0, 0, 0)
        return Forward(query, header + question, key, target)

    def _spliced(self, query: wire.Query, target: str, reply: bytes) -> bytes:
        """CNAME from the asked name to the safe host, then the upstream's records for it."""
        try:
            rcode, records = wire.read_answers(reply)
        except wire.WireError:
            return wire.rcode_reply(query, wire.SERVFAIL)
        cname = wire.record(b"\xc0\x0c", wire.TYPE_CNAME, BLOCK_TTL, wire.encode_name(target))
        return wire.answer_reply(query, [cname, *(r.encode() for r in records)], rcode)

    def _log(self, query: wire.Query, client: str, decision: Decision) -> None:
        if decision.action == ALLOW and not self.log_allowed:
            return
        self.events.append(
            {
                "t": time.time(),
                "src": "dns",
                "client": client,
                "host": query.name,
                "qtype": query.qtype,
                "action": decision.action,
                "category": decision.category,
                "group": decision.group,
                "rule": decision.rule,
            }
        )


def _address_in_url(url: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The block page's address, when its URL names the server by address."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
        return ipaddress.ip_address(host) if host else None
    except ValueError:
        return None
