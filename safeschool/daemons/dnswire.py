"""DNS messages on the wire (RFC 1035, EDNS from RFC 6891), written by hand for speed.

Only what a filtering forwarder needs: read a query's question and EDNS size, build error,
address, CNAME and NXDOMAIN answers, and walk the records of an upstream reply. No policy.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct("!HHHHHH")
RR_FIXED = struct.Struct("!HHIH")
TYPE_A, TYPE_NS, TYPE_CNAME, TYPE_SOA, TYPE_PTR, TYPE_AAAA, TYPE_OPT = 1, 2, 5, 6, 12, 28, 41
NAME_TYPES = frozenset({TYPE_NS, TYPE_CNAME, TYPE_PTR})
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
QR, AA, TC, RD, RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080
OPCODE_MASK = 0x7800
MAX_UDP = 512


class WireError(ValueError):
    """The bytes are not a DNS message we can read."""


@dataclass(frozen=True, slots=True)
class Query:
    """The parts of a query the filter needs."""

    id: int
    flags: int
    name: str
    """Lower-case text name without the trailing dot (``""`` for the root)."""
    qtype: int
    qclass: int
    question: bytes
    """The question section exactly as sent (name, type, class): echoed in answers."""
    udp_size: int
    """Largest UDP answer the client accepts (512 without EDNS)."""
    edns: bool


def read_name(data: bytes, offset: int) -> tuple[str, int]:
    """Read a possibly compressed name; return (lower-case text, offset after it)."""
    labels: list[str] = []
    end = -1
    jumps = 0
    total = 0
    while True:
        if offset >= len(data):
            raise WireError("name runs past the end")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data) or jumps > 32:
                raise WireError("bad compression pointer")
            if end < 0:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            jumps += 1
            continue
        if length & 0xC0:
            raise WireError("unknown label type")
        offset += 1
        if length == 0:
            break
        total += length + 1
        if total > 255 or offset + length > len(data):
            raise WireError("name too long")
        labels.append(data[offset : offset + length].decode("latin-1"))
        offset += length
    return ".".join(labels).lower(), (end if end >= 0 else offset)


def parse_query(data: bytes) -> Query:
    """Read a query. Raises WireError for anything that is not one well-formed question."""
    if len(data) < 12:
        raise WireError("shorter than a header")
    ident, flags, qdcount, ancount, nscount, arcount = HEADER.unpack_from(data)
    if flags & QR:
        raise WireError("a response, not a query")
    if qdcount != 1:
        raise WireError("not exactly one question")
    name, offset = _question_name(data)
    if offset + 4 > len(data):
        raise WireError("question cut short")
    qtype, qclass = struct.unpack_from("!HH", data, offset)
    question = data[12 : offset + 4]
    udp_size, edns = MAX_UDP, False
    if ancount or nscount or arcount:
        udp_size, edns = _edns_size(data, offset + 4, ancount + nscount, arcount)
    return Query(ident, flags, name, qtype, qclass, question, udp_size, edns)


def _question_name(data: bytes) -> tuple[str, int]:
    """The question's name, which must not be compressed (nothing precedes it)."""
    offset = 12
    while offset < len(data) and data[offset] and not data[offset] & 0xC0:
        offset += data[offset] + 1
    if offset >= len(data) or data[offset]:
        raise WireError("bad question name")
    return read_name(data, 12)


def _edns_size(data: bytes, offset: int, skip: int, additional: int) -> tuple[int, bool]:
    """Walk the other sections; return the OPT record's UDP size if there is one."""
    size, edns = MAX_UDP, False
    for index in range(skip + additional):
        _, offset = read_name(data, offset)
        if offset + 10 > len(data):
            raise WireError("record cut short")
        rtype, rclass, _, rdlength = RR_FIXED.unpack_from(data, offset)
        offset += 10 + rdlength
        if offset > len(data):
            raise WireError("record data cut short")
        if rtype == TYPE_OPT and index >= skip:
            size, edns = max(MAX_UDP, rclass), True
    return size, edns


def header_id(data: bytes) -> int:
    """The message ID (the first two bytes)."""
    return int.from_bytes(data[:2], "big")


def response_flags(query_flags: int, rcode: int) -> int:
    """Answer flags: QR and RA set, opcode and RD copied from the query."""
    return QR | RA | (query_flags & (OPCODE_MASK | RD)) | rcode


def error_reply(data: bytes, rcode: int) -> bytes | None:
    """A bare error answer to whatever arrived; None when not even a query header is there."""
    if len(data) < 12 or data[2] & 0x80:
        return None
    ident, flags = struct.unpack_from("!HH", data)
    try:
        name_end = _question_name(data)[1] + 4
        question = data[12:name_end] if name_end <= len(data) else b""
    except WireError:
        question = b""
    qdcount = 1 if question and HEADER.unpack_from(data)[2] == 1 else 0
    header = HEADER.pack(ident, response_flags(flags, rcode), qdcount, 0, 0, 0)
    return header + (question if qdcount else b"")


def rcode_reply(query: Query, rcode: int, authority: bytes = b"", nscount: int = 0) -> bytes:
    """An answer with no records and the given response code."""
    header = HEADER.pack(query.id, response_flags(query.flags, rcode), 1, 0, nscount, 0)
    return header + query.question + authority


def encode_name(name: str) -> bytes:
    """A text name in wire form (no compression)."""
    out = bytearray()
    for label in name.strip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out.append(len(raw))
            out += raw
    out.append(0)
    return bytes(out)


def record(owner: bytes, rtype: int, ttl: int, rdata: bytes) -> bytes:
    """One resource record; `owner` is wire form, or b"\\xc0\\x0c" for the question name."""
    return owner + RR_FIXED.pack(rtype, 1, ttl, len(rdata)) + rdata


def answer_reply(query: Query, records: list[bytes], rcode: int = NOERROR) -> bytes:
    """An authoritative-looking answer holding the given records."""
    flags = response_flags(query.flags, rcode)
    header = HEADER.pack(query.id, flags, 1, len(records), 0, 0)
    return header + query.question + b"".join(records)


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a reply, with names expanded so it can be copied into another message."""

    owner: str
    rtype: int
    rclass: int
    ttl: int
    rdata: bytes

    def encode(self) -> bytes:
        """Wire form, uncompressed."""
        return (
            encode_name(self.owner)
            + RR_FIXED.pack(self.rtype, self.rclass, self.ttl, len(self.rdata))
            + self.rdata
        )


def read_answers(data: bytes) -> tuple[int, list[Record]]:
    """The response code and answer-section records of a reply, names expanded."""
    if len(data) < 12:
        raise WireError("shorter than a header")
    _, flags, qdcount, ancount, _, _ = HEADER.unpack_from(data)
    offset = 12
    for _ in range(qdcount):
        offset = read_name(data, offset)[1] + 4
    found = []
    for _ in range(ancount):
        owner, offset = read_name(data, offset)
        if offset + 10 > len(data):
            raise WireError("record cut short")
        rtype, rclass, ttl, rdlength = RR_FIXED.unpack_from(data, offset)
        start = offset + 10
        offset = start + rdlength
        if offset > len(data):
            raise WireError("record data cut short")
        rdata = data[start:offset]
        if rtype in NAME_TYPES:
            rdata = encode_name(read_name(data, start)[0])
        found.append(Record(owner, rtype, rclass, ttl, rdata))
    return flags & 0xF, found


def ttl_positions(data: bytes) -> tuple[list[int], int | None]:
    """Offsets of every TTL field (OPT excluded) and the smallest TTL, for caching a reply.

    For a reply with no answer records (NXDOMAIN, no data) the smallest TTL is that of the
    SOA in the authority section, capped by its minimum field (RFC 2308); None when no record
    says how long the reply may be kept.
    """
    _, _, qdcount, ancount, nscount, arcount = HEADER.unpack_from(data)
    offset = 12
    for _ in range(qdcount):
        offset = read_name(data, offset)[1] + 4
    positions: list[int] = []
    smallest: int | None = None
    for _ in range(ancount + nscount + arcount):
        offset = read_name(data, offset)[1]
        if offset + 10 > len(data):
            raise WireError("record cut short")
        rtype, _, ttl, rdlength = RR_FIXED.unpack_from(data, offset)
        if rtype != TYPE_OPT:
            positions.append(offset + 4)
            if rtype == TYPE_SOA and not ancount:
                ttl = min(ttl, _soa_minimum(data, offset + 10, rdlength))
            smallest = ttl if smallest is None else min(smallest, ttl)
        offset += 10 + rdlength
        if offset > len(data):
            raise WireError("record data cut short")
    return positions, smallest


def _soa_minimum(data: bytes, start: int, rdlength: int) -> int:
    end = start + rdlength
    if rdlength < 22 or end > len(data):
        raise WireError("SOA cut short")
    return int(struct.unpack_from("!I", data, end - 4)[0])


def truncated(reply: bytes, question_end: int) -> bytes:
    """The reply cut to its header and question, with TC set (the client retries over TCP)."""
    ident, flags, _, _, _, _ = HEADER.unpack_from(reply)
    return HEADER.pack(ident, flags | TC, 1, 0, 0, 0) + reply[12:question_end]
