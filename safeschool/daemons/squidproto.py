"""Squid's helper protocols, `url_rewrite_program` and `external_acl_type`. No policy.

Requests are read from the same token order in both: ``[channel] URL client[/fqdn] user
[method ...]``; that is Squid's default `url_rewrite_extras`, and the FORMAT ``%ru %>a %un
%>rm`` for the external ACL (whose tokens Squid URL-escapes). A first token of digits followed
by more tokens is a concurrency channel ID, echoed at the start of the reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

MAX_LINE = 65536
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


class BadLineError(ValueError):
    """A line that is not a request we can read; answered with BH."""

    def __init__(self, message: str, channel: str | None = None) -> None:
        super().__init__(message)
        self.channel = channel


@dataclass(frozen=True, slots=True)
class Request:
    """One request from Squid."""

    channel: str | None
    url: str
    client: str | None
    user: str | None
    method: str | None


def parse_request(raw: bytes, escaped: bool = False) -> Request:
    """Read one line (without its newline). `escaped` for external ACL (URL-escaped tokens)."""
    if len(raw) > MAX_LINE:
        raise BadLineError("line too long", _channel_of(raw))
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise BadLineError("not UTF-8 text", _channel_of(raw)) from None
    tokens = text.split()
    channel = None
    if len(tokens) > 1 and tokens[0].isdigit():
        channel = tokens.pop(0)
    if not tokens:
        raise BadLineError("empty request", channel)
    if escaped:
        tokens = [unquote(token) for token in tokens]
    url = tokens[0]
    if not usable_url(url):
        raise BadLineError("no URL or host in the request", channel)
    client = token_value(tokens[1].partition("/")[0]) if len(tokens) > 1 else None
    user = token_value(tokens[2]) if len(tokens) > 2 else None
    method = token_value(tokens[3]) if len(tokens) > 3 else None
    return Request(channel, url, client, user, method)


def usable_url(url: str) -> bool:
    """True when the token can be a URL, a CONNECT target or a host name."""
    return ("." in url or ":" in url) and url.isprintable()


def token_value(token: str) -> str | None:
    """Squid writes `-` for a macro with no value."""
    return None if token in ("-", "") else token


def _channel_of(raw: bytes) -> str | None:
    first, _, rest = raw.partition(b" ")
    return first.decode() if first.isdigit() and rest.strip() else None


def quote_value(value: str) -> str:
    """A value for ``key="..."``: quotes, backslashes, spaces and controls percent-escaped."""
    if not _NEEDS_ESCAPE.search(value):
        return value
    return _NEEDS_ESCAPE.sub(lambda m: f"%{ord(m.group()):02X}", value)


def reply(channel: str | None, body: str) -> bytes:
    """One reply line, with the channel ID first when the request had one."""
    line = f"{channel} {body}\n" if channel is not None else f"{body}\n"
    return line.encode()


def redirect(url: str, status: int) -> str:
    """squidGuard's answer for a redirect of the browser."""
    return f'OK status={status} url="{quote_value(url)}"'


def rewrite(url: str) -> str:
    """squidGuard's answer for fetching another URL instead."""
    return f'OK rewrite-url="{quote_value(url)}"'


def broken(message: str) -> str:
    """The answer for a request the helper could not handle."""
    return f'BH message="{quote_value(message)}"'
