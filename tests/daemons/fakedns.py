"""A small in-process upstream resolver on a random port: the edge of the world in tests.

Built with dnspython (a test client only), so the filter's hand-written wire code is checked
against an independent implementation. Every name resolves to 192.0.2.<n> (A) and
2001:db8::<n> (AAAA) with TTL 300, except names under `nx.test`, which are NXDOMAIN, and names
under `slow.test`, answered after `slow_seconds`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class FakeUpstream:
    def __init__(self, ttl: int = 300, slow_seconds: float = 1.0) -> None:
        self.ttl = ttl
        self.slow_seconds = slow_seconds
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = self.sock.getsockname()
        self.port = self.address[1]
        self.asked: Counter[str] = Counter()
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeUpstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while self.running:
            try:
                data, client = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            query = dns.message.from_wire(data)
            name = query.question[0].name.to_text().lower()
            self.asked[name] += 1
            if name.endswith("slow.test."):
                threading.Thread(target=self._later, args=(query, client), daemon=True).start()
                continue
            self.sock.sendto(self.reply(query).to_wire(), client)

    def _later(self, query: dns.message.Message, client: tuple[str, int]) -> None:
        time.sleep(self.slow_seconds)
        with contextlib.suppress(OSError):
            self.sock.sendto(self.reply(query).to_wire(), client)

    def reply(self, query: dns.message.Message) -> dns.message.Message:
        return make_reply(query, self.ttl)


def make_reply(query: dns.message.Message, ttl: int = 300) -> dns.message.Message:
    """The fake world's answer to a query."""
    response = dns.message.make_response(query)
    question = query.question[0]
    name = question.name.to_text().lower()
    if name.endswith("nx.test."):
        response.set_rcode(dns.rcode.NXDOMAIN)
        response.authority.append(
            dns.rrset.from_text("test.", 60, "IN", "SOA", "ns.test. admin.test. 1 60 60 60 30")
        )
        return response
    number = sum(name.encode()) % 250 + 1
    if question.rdtype == dns.rdatatype.A:
        data = f"192.0.2.{number}"
    elif question.rdtype == dns.rdatatype.AAAA:
        data = f"2001:db8::{number}"
    else:
        return response
    response.answer.append(dns.rrset.from_text(question.name, ttl, "IN", question.rdtype, data))
    return response
