"""Safe search: proxy rewrites and the DNS names that force search engines into safe mode."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

if TYPE_CHECKING:
    from .model import SafeSearch
    from .normalise import Target

GOOGLE_SAFE = "forcesafesearch.google.com"
BING_SAFE = "strict.bing.com"
DUCKDUCKGO_SAFE = "safe.duckduckgo.com"
YOUTUBE_STRICT = "restrict.youtube.com"
YOUTUBE_MODERATE = "restrictmoderate.youtube.com"

_GOOGLE_HOST = re.compile(r"(?:www\.)?google\.(?:com|(?:com?\.)?[a-z]{2})")
_BING_HOSTS = frozenset({"www.bing.com", "bing.com"})
_DDG_HOSTS = frozenset({"duckduckgo.com", "www.duckduckgo.com", "html.duckduckgo.com"})
_YOUTUBE_HOSTS = frozenset(
    {
        "www.youtube.com",
        "youtube.com",
        "m.youtube.com",
        "youtubei.googleapis.com",
        "youtube.googleapis.com",
        "www.youtube-nocookie.com",
    }
)
# (engine, path prefixes that carry searches, query parameter, value forcing safe mode)
_PROXY_PARAMS = {
    "google": (("/search", "/webhp", "/images", "/complete/search"), "safe", "active"),
    "bing": (("/search", "/images/search", "/videos/search"), "adlt", "strict"),
    "duckduckgo": (("/", "/html", "/lite"), "kp", "1"),
}


def engine_for(host: str, settings: SafeSearch) -> str | None:
    """Which enforced search engine a host belongs to, if any."""
    if settings.google and _GOOGLE_HOST.fullmatch(host):
        return "google"
    if settings.bing and host in _BING_HOSTS:
        return "bing"
    if settings.duckduckgo and host in _DDG_HOSTS:
        return "duckduckgo"
    if settings.youtube != "off" and host in _YOUTUBE_HOSTS:
        return "youtube"
    return None


def safe_host(engine: str, settings: SafeSearch) -> str:
    """The safe-mode host name a DNS filter answers with for an engine."""
    if engine == "youtube":
        return YOUTUBE_MODERATE if settings.youtube == "moderate" else YOUTUBE_STRICT
    return {"google": GOOGLE_SAFE, "bing": BING_SAFE, "duckduckgo": DUCKDUCKGO_SAFE}[engine]


def dns_cname(host: str, settings: SafeSearch) -> tuple[str, str] | None:
    """(CNAME target, engine) for a DNS query that safe search applies to, else None."""
    engine = engine_for(host, settings)
    return None if engine is None else (safe_host(engine, settings), engine)


def proxy_rewrite(
    target: Target, url: str, settings: SafeSearch
) -> tuple[str | None, str | None, str] | None:
    """How a proxy enforces safe search on this request, or None when it does not apply.

    Returns ``(new_url, header, engine)``: ``new_url`` is the URL to fetch instead (None when
    the request already asks for safe mode, or when a header does the job); ``header`` is a
    request header to add (YouTube). A CONNECT target (``host:443``) is pointed at the
    engine's safe host, which serves the same certificate names.
    """
    engine = engine_for(target.host, settings)
    if engine is None:
        return None
    if not target.scheme:
        port = url.rpartition(":")[2] if ":" in url else "443"
        return f"{safe_host(engine, settings)}:{port}", None, engine
    if engine == "youtube":
        value = "Moderate" if settings.youtube == "moderate" else "Strict"
        return None, f"YouTube-Restrict: {value}", engine
    prefixes, param, value = _PROXY_PARAMS[engine]
    path, _, query = target.path.partition("?")
    if not path.startswith(prefixes) or (engine == "duckduckgo" and "q=" not in query):
        return None
    return _with_param(url, param, value), None, engine


def _with_param(url: str, param: str, value: str) -> str | None:
    """The URL with ``param=value`` forced in its query, or None if it is there already."""
    base, _, fragment = url.partition("#")
    head, _, query = base.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    if (param, value) in pairs and sum(1 for k, _ in pairs if k == param) == 1:
        return None
    kept = [(k, v) for k, v in pairs if k != param] + [(param, value)]
    new = f"{head}?{urlencode(kept)}"
    return f"{new}#{fragment}" if fragment else new
