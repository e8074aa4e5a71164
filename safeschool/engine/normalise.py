"""Turn URLs, CONNECT targets and bare host names into the forms the engine matches on.

Every host is lower-cased, stripped of user-info, port and trailing dots, and converted to
punycode when it holds non-ASCII characters, so that list entries and requests written in
Unicode or in punycode meet in one form. IPv4 addresses in unusual spellings (decimal,
hexadecimal, octal) are written in dotted-quad form.
"""

from __future__ import annotations

import re
import socket
from typing import NamedTuple
from urllib.parse import unquote

# The first label squidGuard drops before matching URL lists ("www.", "www2.", "web.", "ftp.").
_STRIPPABLE_LABEL = re.compile(r"(?:www|web|ftp)[0-9]*")
_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_ODD_IPV4 = re.compile(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}")
_SPLIT = re.compile(r"(?:([A-Za-z][A-Za-z0-9+.-]{0,14})://)?([^/?#]*)(.*)", re.S)
_SLOW_LAST = frozenset(".0123456789 \t\r\n")


class Target(NamedTuple):
    """A request split into the parts the engine needs."""

    host: str
    """Normalised host name (punycode, lower case) or IP address text."""
    path: str
    """Everything after the authority: path, query and fragment, as given (may be empty)."""
    scheme: str
    """Lower-case scheme, or an empty string for bare hosts and CONNECT targets."""


def split_target(url_or_host: str) -> Target:
    """Split a URL, a ``host:port`` CONNECT target or a bare host into a normalised Target."""
    return Target(*split_parts(url_or_host))


def split_parts(url_or_host: str) -> tuple[str, str, str]:
    """``(host, path, scheme)`` as in Target, without building one (the hot path)."""
    scheme, authority, rest = _SPLIT.match(url_or_host).groups()  # type: ignore[union-attr]
    if _is_normal(authority):
        return authority, rest, scheme.lower() if scheme else ""
    if authority != authority.strip() or rest != rest.rstrip():
        stripped = url_or_host.strip()
        if stripped != url_or_host:
            return split_parts(stripped)
        # Whitespace inside the URL itself (such as "http://a\xa0/x"): no host has any.
        authority, rest = authority.strip(), rest.rstrip()
    return normalise_host(authority), rest, scheme.lower() if scheme else ""


def split_authority(url_or_host: str) -> tuple[str, str, str]:
    """``(scheme, authority, rest)`` as written, nothing normalised; the scheme may be empty."""
    scheme, authority, rest = _SPLIT.match(url_or_host).groups()  # type: ignore[union-attr]
    return scheme or "", authority, rest


def _is_normal(authority: str) -> bool:
    """True when an authority is already a normalised host (the common case, checked fast)."""
    return (
        authority.islower()
        and authority.isascii()
        and authority[-1] not in _SLOW_LAST
        and authority[0] > " "
        and "@" not in authority
        and ":" not in authority
    )


def authority_host(authority: str) -> str:
    """The host of an authority taken from a URL with no whitespace, as split_parts gives it."""
    return authority if _is_normal(authority) else normalise_host(authority)


def normalise_host(authority: str) -> str:
    """Normalise an authority (``user@Host.Example.:8080``) to a bare matching host."""
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        return host[1:].partition("]")[0].lower()
    if host.count(":") == 1:
        host = host.partition(":")[0]
    host = host.lower().rstrip(".")
    if not host.isascii():
        host = _to_punycode(host)
    elif host and (host[-1].isdigit() or host.startswith("0x")):
        host = _canonical_ipv4(host)
    return host


def normalise_entry(entry: str) -> str:
    """Normalise a domain list entry: lower case, no leading or trailing dots, punycode."""
    domain = entry.strip().lower().strip(".")
    if not domain.isascii():
        domain = _to_punycode(domain)
    return domain


def _to_punycode(host: str) -> str:
    """Encode an internationalised host name label by label; keep labels that cannot be."""
    labels = []
    for label in host.replace("\u3002", ".").split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def to_unicode(host: str) -> str:
    """Return the Unicode form of a punycode host name (for display only)."""
    try:
        return host.encode("ascii").decode("idna")
    except UnicodeError:
        return host


def _canonical_ipv4(host: str) -> str:
    """Write IPv4 literals such as ``3232235777`` or ``0x7f.1`` as dotted quads."""
    if _IPV4.fullmatch(host) or not _ODD_IPV4.fullmatch(host):
        return host
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return host


def is_ip_address(host: str) -> bool:
    """True when the normalised host is an IPv4 or IPv6 address literal."""
    if not host or not (host[-1].isdigit() or ":" in host):
        return False
    return ":" in host or bool(_IPV4.fullmatch(host))


def url_key(host: str, path: str) -> str:
    """The text URL lists and expressions are matched against: ``host/path``, lower case,
    percent-decoded, without scheme, user-info or port (as squidGuard does)."""
    if "%" in path:
        path = unquote(path, errors="replace")
    return host + path.lower()


def stripped_host(host: str) -> str | None:
    """The host without a leading ``www``/``wwwN``/``web``/``ftp`` label, or None."""
    first, dot, rest = host.partition(".")
    if dot and "." in rest and _STRIPPABLE_LABEL.fullmatch(first):
        return rest
    return None


def parent_domains(host: str) -> list[str]:
    """The host and each parent domain: ``a.b.c`` -> ``[a.b.c, b.c, c]``."""
    out = [host]
    pos = host.find(".")
    while pos != -1:
        out.append(host[pos + 1 :])
        pos = host.find(".", pos + 1)
    return out
