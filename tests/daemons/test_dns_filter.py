"""The DNS filter's core and wire code without sockets: answers, cache, and fuzzing."""

from __future__ import annotations

from pathlib import Path

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import pytest

from safeschool.daemons import dnswire as wire
from safeschool.daemons.dnscache import ReplyCache
from safeschool.daemons.dnsfilter import DnsFilter, Forward
from safeschool.engine import PolicyHolder, load_policy
from tests.daemons.fakedns import make_reply
from tests.daemons.fuzz import packets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def events() -> list[dict[str, object]]:
    return []


@pytest.fixture
def core(policy_file: Path, events: list[dict[str, object]]) -> DnsFilter:
    holder = PolicyHolder(policy_file, load_policy(policy_file))
    return DnsFilter(holder, ReplyCache(clock=Clock()), events)  # type: ignore[arg-type]


def test_cached_replies_count_their_ttl_down_and_expire(core: DnsFilter) -> None:
    clock = core.cache.clock
    assert isinstance(clock, Clock)
    query = dns.message.make_query("www.example.test", "A")
    job = core.answer(query.to_wire(), "127.0.0.1")
    assert isinstance(job, Forward)
    core.upstream_reply(job, make_reply(query, ttl=300).to_wire())
    clock.now += 100
    hit = core.answer(query.to_wire(), "127.0.0.1")
    assert isinstance(hit, bytes)
    assert dns.message.from_wire(hit).answer[0].ttl == 200
    clock.now += 201
    assert isinstance(core.answer(query.to_wire(), "127.0.0.1"), Forward)


def test_servfail_and_formerr_are_not_cached(core: DnsFilter) -> None:
    query = dns.message.make_query("flaky.example.test", "A")
    job = core.answer(query.to_wire(), "127.0.0.1")
    assert isinstance(job, Forward)
    reply = dns.message.make_response(query)
    reply.set_rcode(dns.rcode.SERVFAIL)
    core.upstream_reply(job, reply.to_wire())
    assert isinstance(core.answer(query.to_wire(), "127.0.0.1"), Forward)


def test_big_answers_are_truncated_for_udp_clients(core: DnsFilter) -> None:
    query = wire.parse_query(dns.message.make_query("big.example.test", "A").to_wire())
    big = wire.answer_reply(query, [wire.record(b"\xc0\x0c", 1, 60, b"\x01\x02\x03\x04")] * 60)
    cut = dns.message.from_wire(DnsFilter.fit(query, big))
    assert cut.flags & dns.flags.TC and not cut.answer


def test_other_opcodes_are_not_implemented(core: DnsFilter) -> None:
    query = dns.message.make_query("x.test", "A")
    query.set_opcode(dns.opcode.NOTIFY)
    reply = core.answer(query.to_wire(), "127.0.0.1")
    assert isinstance(reply, bytes)
    assert dns.message.from_wire(reply).rcode() == dns.rcode.NOTIMP


def test_fuzzed_packets_never_crash_and_answers_are_well_formed(core: DnsFilter) -> None:
    """A short run; benchmarks/dns_bench.py --fuzz runs a million."""
    answered = 0
    for packet in packets(30_000):
        reply = core.answer(packet, "127.0.0.1")
        if isinstance(reply, bytes):
            assert reply[:2] == packet[:2] and reply[2] & 0x80  # same ID, a response
            if not reply[2] & 0x78:  # a standard query: dnspython must read the answer
                dns.message.from_wire(reply, question_only=True)
            answered += 1
    assert answered > 1000


def test_the_header_of_a_response_is_never_answered(core: DnsFilter) -> None:
    reply = dns.message.make_response(dns.message.make_query("x.test", "A")).to_wire()
    assert core.answer(reply, "127.0.0.1") is None
