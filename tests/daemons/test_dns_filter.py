"""The DNS filter's core and wire code without sockets: answers, cache, and fuzzing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import pytest

from safeschool.daemons import dnswire as wire
from safeschool.daemons.dnscache import ReplyCache
from safeschool.daemons.dnsfilter import DnsFilter, Forward
from safeschool.engine import Decision, Policy, PolicyHolder, load_policy, write_snapshot
from safeschool.engine.model import Group
from tests.daemons.conftest import policy_data
from tests.daemons.fakedns import make_reply
from tests.daemons.fuzz import packets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def events() -> list[bytes]:
    return []


@pytest.fixture
def core(policy_file: Path, events: list[bytes]) -> DnsFilter:
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


# The memory of whole replies in front of the filter (DnsFilter.burst).


class CountingPolicy:
    """Wraps a policy and counts the decisions asked of it."""

    def __init__(self, policy: Policy, timed: bool = False) -> None:
        self.policy = policy
        self.decided = 0
        self.timed = timed

    def decide_dns(self, name: str, client: str | None = None) -> Decision:
        self.decided += 1
        return self.policy.decide_dns(name, client)

    def group_for(self, client: str | None, user: str | None, when: datetime | None) -> Group:
        return self.policy.group_for(client, user, when)


def with_id(query: dns.message.Message, ident: int) -> bytes:
    query.id = ident
    return query.to_wire()


def resolve(core: DnsFilter, query: dns.message.Message, client: str = "127.0.0.1") -> None:
    """Let the filter forward the query and take the fake upstream's reply into its cache."""
    job = core.answer(query.to_wire(), client)
    assert isinstance(job, Forward)
    core.upstream_reply(job, make_reply(dns.message.from_wire(job.packet)).to_wire())


def test_a_remembered_reply_has_the_new_id_and_the_same_answer(core: DnsFilter) -> None:
    counting = CountingPolicy(core.holder.policy)  # type: ignore[arg-type]
    core.holder.policy = counting  # type: ignore[assignment]
    query = dns.message.make_query("adult.test", "A")
    first = core.answer(with_id(query, 0x1111), "127.0.0.1")
    second = core.answer(with_id(query, 0x2222), "127.0.0.1")
    assert isinstance(first, bytes) and isinstance(second, bytes)
    assert counting.decided == 1  # the second came from the memory
    assert second[:2] == b"\x22\x22" and second[2:] == first[2:]
    reply = dns.message.from_wire(second)
    assert reply.id == 0x2222 and [r.to_text() for r in reply.answer[0]] == ["127.0.0.1"]


def test_the_spelling_of_the_question_is_kept(core: DnsFilter) -> None:
    core.answer(dns.message.make_query("adult.test", "A").to_wire(), "127.0.0.1")
    reply = core.answer(dns.message.make_query("AdUlT.tEsT", "A").to_wire(), "127.0.0.1")
    assert isinstance(reply, bytes)
    assert dns.message.from_wire(reply).question[0].name.to_text() == "AdUlT.tEsT."


def test_a_new_policy_changes_remembered_answers_at_once(
    core: DnsFilter, policy_file: Path
) -> None:
    query = dns.message.make_query("newly-blocked.test", "A")
    resolve(core, query)
    for _ in range(2):
        allowed = core.answer(query.to_wire(), "127.0.0.1")
        assert isinstance(allowed, bytes)
        assert dns.message.from_wire(allowed).answer[0][0].to_text().startswith("192.0.2.")
    write_snapshot(policy_data(extra_adult=["newly-blocked.test"]), policy_file)
    assert core.holder.reload()
    blocked = core.answer(query.to_wire(), "127.0.0.1")
    assert isinstance(blocked, bytes)
    assert dns.message.from_wire(blocked).answer[0][0].to_text() == "127.0.0.1"


def test_remembered_answers_from_the_cache_still_count_their_ttls_down(core: DnsFilter) -> None:
    clock = core.cache.clock
    assert isinstance(clock, Clock)
    query = dns.message.make_query("ttl.example.test", "A")
    resolve(core, query)

    def ttl() -> int:
        reply = core.answer(query.to_wire(), "127.0.0.1")
        assert isinstance(reply, bytes)
        return int(dns.message.from_wire(reply).answer[0].ttl)

    assert [ttl(), ttl()] == [300, 300]
    clock.now += 0.5
    assert ttl() == 300
    clock.now += 0.6
    assert [ttl(), ttl()] == [299, 299]
    clock.now += 100
    assert ttl() == 199
    clock.now += 199
    assert isinstance(core.answer(query.to_wire(), "127.0.0.1"), Forward)  # expired


def test_safe_search_answers_from_the_cache_count_down_too(core: DnsFilter) -> None:
    clock = core.cache.clock
    assert isinstance(clock, Clock)
    query = dns.message.make_query("www.google.com", "A")
    resolve(core, query)
    for expected in (300, 295, 290):
        reply = core.answer(query.to_wire(), "127.0.0.1")
        assert isinstance(reply, bytes)
        cname, address = dns.message.from_wire(reply).answer
        assert cname[0].to_text() == "forcesafesearch.google.com."
        assert address.ttl == expected
        clock.now += 5


def test_every_query_is_logged_even_when_remembered(core: DnsFilter, events: list[bytes]) -> None:
    query = dns.message.make_query("adult.test", "AAAA")
    for ident in (1, 2, 3):
        core.answer(with_id(query, ident), "127.0.0.3")
    fine = dns.message.make_query("fine.example.test", "A")
    resolve(core, fine)
    core.answer(fine.to_wire(), "127.0.0.3")
    core.answer(fine.to_wire(), "127.0.0.3")
    logged = [json.loads(event) for event in events]
    assert len(logged) == 6
    block = {k: v for k, v in logged[2].items() if k != "t"}
    assert block == {
        "src": "dns",
        "client": "127.0.0.3",
        "host": "adult.test",
        "qtype": 28,
        "action": "block",
        "category": "adult",
        "group": "pupils",
        "rule": "category",
    }
    assert [e["action"] for e in logged] == ["block"] * 3 + ["allow"] * 3
    assert all(isinstance(e["t"], float) for e in logged)


def test_allowed_queries_are_not_logged_when_told_not_to(
    policy_file: Path, events: list[bytes]
) -> None:
    holder = PolicyHolder(policy_file, load_policy(policy_file))
    core = DnsFilter(holder, ReplyCache(), events, log_allowed=False)  # type: ignore[arg-type]
    fine = dns.message.make_query("fine.example.test", "A")
    resolve(core, fine)
    core.answer(fine.to_wire(), "127.0.0.1")
    core.answer(fine.to_wire(), "127.0.0.1")
    core.answer(dns.message.make_query("adult.test", "A").to_wire(), "127.0.0.1")
    assert [json.loads(e)["action"] for e in events] == ["block"]


def test_client_groups_get_their_own_answers_to_the_same_packet(core: DnsFilter) -> None:
    query = dns.message.make_query("social.test", "A")
    resolve(core, query, client="127.0.0.2")  # staff may
    packet = query.to_wire()
    for _ in range(2):
        staff = core.answer(packet, "127.0.0.2")
        assert isinstance(staff, bytes)
        assert dns.message.from_wire(staff).answer[0][0].to_text().startswith("192.0.2.")
        pupils = core.answer(packet, "127.0.0.1")
        assert isinstance(pupils, bytes)
        assert dns.message.from_wire(pupils).answer[0][0].to_text() == "127.0.0.1"
    # Another pupil shares the pupils' memory and gets the same answer.
    assert core.answer(packet, "127.0.0.9") == pupils


def test_a_block_page_naming_the_client_is_answered_per_client(
    tmp_path: Path, events: list[bytes]
) -> None:
    data = policy_data()
    data["redirect"] = "302:http://%a/blocked?url=%u"
    path = tmp_path / "policy.json"
    write_snapshot(data, path)
    core = DnsFilter(PolicyHolder(path, load_policy(path)), ReplyCache(), events)  # type: ignore[arg-type]
    packet = dns.message.make_query("adult.test", "A").to_wire()
    for _ in range(2):
        for client in ("127.0.0.3", "127.0.0.4"):
            reply = core.answer(packet, client)
            assert isinstance(reply, bytes)
            assert dns.message.from_wire(reply).answer[0][0].to_text() == client


@pytest.mark.parametrize("timed", [True, False])
def test_the_memory_starts_afresh_each_minute_when_schedules_apply(
    policy_file: Path, events: list[bytes], timed: bool
) -> None:
    wall = Clock()
    holder = PolicyHolder(policy_file, load_policy(policy_file))
    counting = CountingPolicy(holder.policy, timed)  # type: ignore[arg-type]
    holder.policy = counting  # type: ignore[assignment]
    core = DnsFilter(holder, ReplyCache(), events, clock=wall)  # type: ignore[arg-type]
    packet = dns.message.make_query("adult.test", "A").to_wire()
    wall.now = 60 * 1000 + 1
    core.answer(packet, "127.0.0.1")
    wall.now += 58
    core.answer(packet, "127.0.0.1")
    assert counting.decided == 1
    wall.now += 1
    core.answer(packet, "127.0.0.1")
    assert counting.decided == (2 if timed else 1)
    assert [json.loads(e)["t"] for e in events] == [60001.0, 60059.0, 60060.0]


def test_tcp_answers_are_not_truncated_and_not_remembered(core: DnsFilter) -> None:
    query = wire.parse_query(dns.message.make_query("big.example.test", "A").to_wire())
    big = wire.answer_reply(query, [wire.record(b"\xc0\x0c", 1, 60, b"\x01\x02\x03\x04")] * 60)
    key = query.question.lower()
    assert core.cache.store(key, big)
    packet = dns.message.make_query("big.example.test", "A").to_wire()
    over_tcp = core.answer(packet, "127.0.0.1", stream=True)
    assert isinstance(over_tcp, bytes) and over_tcp[6:8] == b"\x00\x3c"  # all 60 records
    for _ in range(2):
        over_udp = core.answer(packet, "127.0.0.1")
        assert isinstance(over_udp, bytes)
        assert dns.message.from_wire(over_udp).flags & dns.flags.TC
    again = core.answer(packet, "127.0.0.1", stream=True)
    assert isinstance(again, bytes) and not dns.message.from_wire(again).flags & dns.flags.TC
