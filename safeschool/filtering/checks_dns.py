"""Asking the running DNS filter about one test entry, as a device on the network would.

A hand-built A query goes over UDP to the filter; the reply is read with the daemons' own wire
helpers. The test entries live under `.invalid` (RFC 6761), which no real resolver ever answers
with an address, so an address in the reply can only have come from the filter's block.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import socket
import struct
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from safeschool.daemons import dnswire as wire
from safeschool.daemons.dnsserver import parse_hostport

TIMEOUT = 2.0
RCODES = {
    wire.SERVFAIL: "SERVFAIL",
    wire.REFUSED: "REFUSED",
    wire.FORMERR: "FORMERR",
    wire.NOTIMP: "NOTIMP",
}


@dataclass(frozen=True)
class DnsAnswer:
    """What the filter said: `answered` False when nothing came back in time."""

    answered: bool
    blocked: bool
    got: str
    source: str


def server_address(listen: str) -> tuple[str, int]:
    """Where to send queries for a filter listening on `listen` (0.0.0.0 means this machine)."""
    host, port = parse_hostport(listen)
    wildcards = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104
    return wildcards.get(host, host), port


def block_addresses(block_page_url: str) -> frozenset[str]:
    """Addresses the filter answers blocked names with, as the daemon works them out."""
    found = {os.environ.get("SAFESCHOOL_DNS_BLOCK_IPV4", "")}
    host = urlsplit(re.sub(r"^\d{3}:", "", block_page_url)).hostname or ""
    with contextlib.suppress(ValueError):
        found.add(str(ipaddress.ip_address(host)))
    return frozenset(found - {""})


def build_query(name: str, ident: int) -> bytes:
    """A recursive A query for `name`."""
    question = wire.encode_name(name) + struct.pack("!HH", wire.TYPE_A, 1)
    return wire.HEADER.pack(ident, wire.RD, 1, 0, 0, 0) + question


def ask(
    server: tuple[str, int],
    name: str,
    source: str | None,
    blocks: frozenset[str],
    timeout: float = TIMEOUT,
) -> DnsAnswer:
    """Send one query (from `source` when given) and classify the reply."""
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            if source:
                sock.bind((source, 0))
            sock.connect(server)
            local = str(sock.getsockname()[0])
            ident = secrets.randbelow(65536)
            sock.send(build_query(name, ident))
            reply = _receive(sock, ident, time.monotonic() + timeout)
        except OSError as error:  # refused (nothing listening), timed out, cannot bind
            return DnsAnswer(False, False, f"no answer ({error.__class__.__name__})", source or "")
    if reply is None:
        return DnsAnswer(False, False, f"no answer within {timeout:g} s", local)
    blocked, got = classify(reply, blocks)
    return DnsAnswer(True, blocked, got, local)


def _receive(sock: socket.socket, ident: int, deadline: float) -> bytes | None:
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        data = sock.recv(4096)
        if len(data) >= 12 and wire.header_id(data) == ident:
            return data
    return None


def classify(reply: bytes, blocks: frozenset[str]) -> tuple[bool, str]:
    """(blocked, what came back) for a reply to an A query for a test entry."""
    _, flags, _, _, nscount, _ = wire.HEADER.unpack_from(reply)
    rcode = flags & 0xF
    if rcode == wire.NXDOMAIN:
        # The filter's own NXDOMAIN carries no SOA; a resolver's always does.
        if nscount == 0:
            return True, "blocked: NXDOMAIN from the filter"
        return False, "not blocked: NXDOMAIN from the upstream resolver"
    if rcode != wire.NOERROR:
        return False, f"not blocked: {RCODES.get(rcode, f'response code {rcode}')}"
    _, records = wire.read_answers(reply)
    addresses = [
        str(ipaddress.IPv4Address(r.rdata))
        for r in records
        if r.rtype == wire.TYPE_A and len(r.rdata) == 4
    ]
    if any(address in blocks for address in addresses):
        return True, f"blocked: the block page's address {addresses[0]}"
    if addresses:
        return False, f"not blocked: resolved to {', '.join(addresses[:3])}"
    return False, "not blocked: no address in the answer"
