"""The DNS filter as a running process, asked with dnspython over real sockets."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from safeschool.daemons import dnswire as wire
from safeschool.daemons.dnscache import ReplyCache
from safeschool.daemons.dnsfilter import DnsFilter
from safeschool.daemons.dnsserver import UdpLoop, bind_sockets
from safeschool.engine import PolicyHolder, load_policy, write_snapshot
from safeschool.eventlog import iter_spool
from tests.daemons.conftest import RunningDns, policy_data, start_dns, stop_process
from tests.daemons.fakedns import FakeUpstream


def ask(
    server: RunningDns, name: str, rdtype: str = "A", source: str = "127.0.0.1"
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    return dns.query.udp(query, "127.0.0.1", port=server.port, timeout=5, source=source)


def answers(reply: dns.message.Message) -> list[str]:
    return [item.to_text() for rrset in reply.answer for item in rrset]


def test_blocked_name_gets_the_block_page_address(dns_server: RunningDns) -> None:
    reply = ask(dns_server, "www.adult.test")
    assert reply.rcode() == dns.rcode.NOERROR
    assert answers(reply) == ["127.0.0.1"]


def test_blocked_name_without_an_ipv6_block_page_gets_no_aaaa(dns_server: RunningDns) -> None:
    reply = ask(dns_server, "adult.test", "AAAA")
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.answer == []


def test_illegal_content_is_nxdomain_for_everyone(dns_server: RunningDns) -> None:
    for source in ("127.0.0.1", "127.0.0.2"):
        assert ask(dns_server, "illegal.test", source=source).rcode() == dns.rcode.NXDOMAIN


def test_nxdomain_mode(policy_file: Path, upstream: FakeUpstream, tmp_path: Path) -> None:
    server = start_dns(
        policy_file, f"127.0.0.1:{upstream.port}", tmp_path, "--block-mode", "nxdomain"
    )
    try:
        assert ask(server, "adult.test").rcode() == dns.rcode.NXDOMAIN
    finally:
        stop_process(server.process)


def test_group_comes_from_the_client_address(dns_server: RunningDns) -> None:
    assert answers(ask(dns_server, "social.test", source="127.0.0.1")) == ["127.0.0.1"]
    staff = answers(ask(dns_server, "social.test", source="127.0.0.2"))
    assert staff and staff[0].startswith("192.0.2.")


def test_safe_search_names_get_the_safe_cname_and_its_address(dns_server: RunningDns) -> None:
    reply = ask(dns_server, "www.google.com")
    assert reply.answer[0].rdtype == dns.rdatatype.CNAME
    assert answers(reply)[0] == "forcesafesearch.google.com."
    assert answers(reply)[1].startswith("192.0.2.")
    youtube = ask(dns_server, "www.youtube.com", "AAAA")
    assert answers(youtube)[0] == "restrict.youtube.com."
    assert answers(youtube)[1].startswith("2001:db8::")


def test_other_names_are_forwarded_and_cached(
    dns_server: RunningDns, upstream: FakeUpstream
) -> None:
    first = ask(dns_server, "Www.Example.Test")
    second = ask(dns_server, "www.example.test")
    assert answers(first) == answers(second)
    assert first.question[0].name.to_text() == "Www.Example.Test."
    assert upstream.asked["www.example.test."] == 1
    assert ask(dns_server, "gone.nx.test").rcode() == dns.rcode.NXDOMAIN
    assert ask(dns_server, "gone.nx.test").rcode() == dns.rcode.NXDOMAIN
    assert upstream.asked["gone.nx.test."] == 1


def test_tcp_is_answered_too(dns_server: RunningDns) -> None:
    reply = dns.query.tcp(
        dns.message.make_query("adult.test", "A"), "127.0.0.1", port=dns_server.port, timeout=5
    )
    assert answers(reply) == ["127.0.0.1"]
    reply = dns.query.tcp(
        dns.message.make_query("tcp.example.test", "A"),
        "127.0.0.1",
        port=dns_server.port,
        timeout=5,
    )
    assert answers(reply)[0].startswith("192.0.2.")


def test_malformed_packets_get_formerr_or_nothing_and_never_crash(dns_server: RunningDns) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        # A header claiming one question, followed by a label running past the end.
        sock.sendto(
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3fabc",
            ("127.0.0.1", dns_server.port),
        )
        reply = dns.message.from_wire(sock.recv(4096))
        assert reply.id == 0x1234 and reply.rcode() == dns.rcode.FORMERR
        for junk in (b"", b"\x00", b"\xff" * 11, b"\x12\x34\x81\x80" + b"\x00" * 8):
            sock.sendto(junk, ("127.0.0.1", dns_server.port))
    assert answers(ask(dns_server, "adult.test")) == ["127.0.0.1"]
    assert dns_server.process.poll() is None


def test_upstream_down_gives_servfail_and_blocks_still_work(
    policy_file: Path, tmp_path: Path
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as hole:
        hole.bind(("127.0.0.1", 0))
        dead = hole.getsockname()[1]
    server = start_dns(policy_file, f"127.0.0.1:{dead}", tmp_path)
    try:
        assert ask(server, "anything.example.test").rcode() == dns.rcode.SERVFAIL
        assert answers(ask(server, "adult.test")) == ["127.0.0.1"]
    finally:
        stop_process(server.process)


def test_silent_upstream_gives_servfail(dns_server: RunningDns) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        server = start_dns(
            Path(dns_server.spool.parent / "policy.json"),
            f"127.0.0.1:{silent.getsockname()[1]}",
            dns_server.spool.parent / "s2",
        )
        try:
            assert ask(server, "quiet.example.test").rcode() == dns.rcode.SERVFAIL
        finally:
            stop_process(server.process)


def test_hot_reload_drops_no_query(dns_server: RunningDns, policy_file: Path) -> None:
    results: list[str] = []
    stop = threading.Event()

    def query_loop() -> None:
        while not stop.is_set():
            reply = ask(dns_server, "newly-blocked.test")
            results.append(answers(reply)[0] if reply.answer else "none")

    worker = threading.Thread(target=query_loop)
    worker.start()
    try:
        write_snapshot(policy_data(extra_adult=["newly-blocked.test"]), policy_file)
        for _ in range(600):  # generous: a loaded machine may take a while to reload
            if results and results[-1] == "127.0.0.1":
                break
            threading.Event().wait(0.1)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert results[-1] == "127.0.0.1"  # the new policy is in force
    assert results[0].startswith("192.0.2.")  # the old one served until then
    assert all(r == "127.0.0.1" or r.startswith("192.0.2.") for r in results)


def test_a_broken_new_policy_leaves_the_old_one_serving(
    dns_server: RunningDns, policy_file: Path
) -> None:
    policy_file.write_text("{ not json")
    threading.Event().wait(1.5)
    assert answers(ask(dns_server, "adult.test")) == ["127.0.0.1"]


def test_decisions_are_logged(dns_server: RunningDns) -> None:
    ask(dns_server, "adult.test")
    ask(dns_server, "www.google.com")
    ask(dns_server, "fine.example.test")
    stop_process(dns_server.process)
    events = [r.event for _, read in iter_spool(dns_server.spool, {}) for r in read.records]
    assert [(e["host"], e["action"]) for e in events] == [
        ("adult.test", "block"),
        ("www.google.com", "rewrite"),
        ("fine.example.test", "allow"),
    ]
    assert events[0]["category"] == "adult" and events[0]["group"] == "pupils"


def test_remembered_answers_are_right_and_logged_every_time(dns_server: RunningDns) -> None:
    """Repeats are answered from the filter's memory of replies, in the UDP loop itself."""
    for _ in range(3):
        assert answers(ask(dns_server, "adult.test")) == ["127.0.0.1"]
        allowed = ask(dns_server, "Fine.Example.Test")
        assert answers(allowed)[0].startswith("192.0.2.")
        assert allowed.question[0].name.to_text() == "Fine.Example.Test."
        staff = ask(dns_server, "social.test", source="127.0.0.2")
        assert answers(staff)[0].startswith("192.0.2.")
        assert answers(ask(dns_server, "social.test")) == ["127.0.0.1"]
    stop_process(dns_server.process)
    events = [r.event for _, read in iter_spool(dns_server.spool, {}) for r in read.records]
    assert [(e["host"], e["client"], e["action"]) for e in events] == [
        ("adult.test", "127.0.0.1", "block"),
        ("fine.example.test", "127.0.0.1", "allow"),
        ("social.test", "127.0.0.2", "allow"),
        ("social.test", "127.0.0.1", "block"),
    ] * 3
    assert set(events[0]) == {
        "t",
        "src",
        "client",
        "host",
        "qtype",
        "action",
        "category",
        "group",
        "rule",
    }


@pytest.fixture(params=[True, False], ids=["recvmmsg", "recvfrom"])
def loop(
    request: pytest.FixtureRequest, policy_file: Path, upstream: FakeUpstream
) -> Iterator[tuple[UdpLoop, list[bytes]]]:
    """A UDP loop in this process: with a system call per burst each way, and without."""
    events: list[bytes] = []
    core = DnsFilter(PolicyHolder(policy_file, load_policy(policy_file)), ReplyCache(), events)  # type: ignore[arg-type]
    udp, tcp = bind_sockets("127.0.0.1", 0)
    tcp.close()
    server = UdpLoop(udp, ("127.0.0.1", upstream.port), core, timeout=1, batch_io=request.param)
    assert (server.batch is not None) == request.param
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server, events
    finally:
        server.running = False
        thread.join(timeout=5)
        udp.close()


def test_a_burst_from_many_clients_is_answered_to_each(loop: tuple[UdpLoop, list[bytes]]) -> None:
    server, events = loop
    address = server.sock.getsockname()
    names = ["adult.test", "www.google.com", "fine.example.test", "Social.Test"]
    clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
    try:
        for round_ in range(3):
            sent: dict[tuple[int, int], str] = {}
            for n in range(150):  # more than a burst, from three sockets at once
                client, name = clients[n % 3], names[n % 4]
                query = dns.message.make_query(name, "A")
                query.id = round_ * 1000 + n
                client.sendto(query.to_wire(), address)
                sent[(n % 3, query.id)] = name
            for index, client in enumerate(clients):
                client.settimeout(5)
                for _ in range(50):
                    reply = dns.message.from_wire(client.recv(4096))
                    name = sent.pop((index, reply.id))
                    assert reply.question[0].name.to_text() == name + "."
                    first = reply.answer[0][0].to_text()
                    if name in ("adult.test", "Social.Test"):
                        assert first == "127.0.0.1"
                    elif name == "www.google.com":
                        assert first == "forcesafesearch.google.com."
                    else:
                        assert first.startswith("192.0.2.")
            assert not sent
    finally:
        for client in clients:
            client.close()
    assert len(events) == 450


def test_malformed_and_oversized_answers_in_a_burst(loop: tuple[UdpLoop, list[bytes]]) -> None:
    server, _ = loop
    query = dns.message.make_query("big.example.test", "A", use_edns=0, payload=65535)
    parsed = wire.parse_query(query.to_wire())
    big = wire.answer_reply(parsed, [wire.record(b"\xc0\x0c", 1, 60, b"\x01\x02\x03\x04")] * 400)
    assert len(big) > 4096
    assert server.dns.cache.store(parsed.question.lower(), big)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        address = server.sock.getsockname()
        client.sendto(b"", address)
        client.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3fabc", address)
        for ident in (7, 8):
            query.id = ident
            client.sendto(query.to_wire(), address)
        received = {}
        for _ in range(3):  # in any order: the oversized ones are sent on their own
            data = client.recv(65535)
            received[int.from_bytes(data[:2], "big")] = data
        formerr = dns.message.from_wire(received[0x1234])
        assert formerr.rcode() == dns.rcode.FORMERR
        for ident in (7, 8):
            assert received[ident][2:] == big[2:]


@pytest.mark.parametrize("batch_io", [True, False], ids=["recvmmsg", "recvfrom"])
def test_ipv6_clients_are_answered_and_named(
    policy_file: Path, upstream: FakeUpstream, batch_io: bool
) -> None:
    try:
        udp, tcp = bind_sockets("::1", 0)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    tcp.close()
    events: list[bytes] = []
    core = DnsFilter(PolicyHolder(policy_file, load_policy(policy_file)), ReplyCache(), events)  # type: ignore[arg-type]
    server = UdpLoop(udp, ("127.0.0.1", upstream.port), core, batch_io=batch_io)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        for _ in range(2):
            query = dns.message.make_query("fine.example.test", "AAAA")
            reply = dns.query.udp(query, "::1", port=udp.getsockname()[1], timeout=5)
            assert answers(reply)[0].startswith("2001:db8::")
    finally:
        server.running = False
        thread.join(timeout=5)
        udp.close()
    assert [json.loads(e)["client"] for e in events] == ["::1", "::1"]
