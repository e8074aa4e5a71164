"""Search terms typed into search engines and sites, read from request URLs for monitoring.

A DNS filter never sees these: they need the full URL (plain HTTP, or HTTPS decrypted by the
proxy on school-managed devices).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote

from .normalise import split_target

# (host pattern, query parameters in order of preference)
_ENGINES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), params)
    for pattern, params in (
        (r"(?:[a-z0-9-]+\.)*google\.(?:com|(?:com?\.)?[a-z]{2})", ("q", "as_q")),
        (r"(?:www\.|cn\.)?bing\.com", ("q",)),
        (r"(?:www\.|html\.|lite\.)?duckduckgo\.com", ("q",)),
        (r"(?:[a-z0-9-]+\.)*search\.yahoo\.(?:com|(?:co\.)?[a-z]{2})", ("p", "q")),
        (r"(?:www\.|m\.|music\.)?youtube\.com", ("search_query", "q")),
        (r"(?:www\.)?ecosia\.org", ("q",)),
        (r"search\.brave\.com", ("q",)),
        (r"(?:www\.)?yandex\.(?:com|ru|ua|by|kz|com\.tr)", ("text",)),
        (r"(?:www\.|m\.)?baidu\.com", ("wd", "word")),
        (r"(?:www\.|[a-z]{2}\.)?startpage\.com", ("query", "q")),
        (r"(?:[a-z-]+\.)?(?:m\.)?wikipedia\.org", ("search",)),
        (
            r"(?:www\.)?amazon\.(?:com|co\.uk|de|fr|it|es|ca|com\.au|in|co\.jp)",
            ("k", "field-keywords"),
        ),
        (r"(?:www\.)?(?:ask|qwant|aol|ecosia)\.com", ("q",)),
        (r"(?:www\.)?(?:reddit|tiktok|pinterest|twitter|x)\.com", ("q",)),
        (r"(?:www\.)?instagram\.com", ("q",)),
        (r"(?:www\.)?ebay\.(?:com|co\.uk)", ("_nkw",)),
    )
)


# Every pattern above names its site by one whole label; a host with none of them is no engine.
_ENGINE_LABELS = frozenset(
    "google bing duckduckgo yahoo youtube ecosia brave yandex baidu startpage wikipedia amazon "
    "ask qwant aol reddit tiktok pinterest twitter x instagram ebay".split()
)
_ANY_ENGINE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _ENGINES))


def extract_search_terms(url: str) -> str | None:
    """Return the search text in a search-engine or site-search URL, else None.

    Covers Google, Bing, DuckDuckGo, Yahoo, YouTube, Ecosia, Brave, Yandex, Baidu, Startpage,
    Wikipedia, Amazon, eBay, Ask, Qwant, Reddit, TikTok, Pinterest, X and Instagram. The
    text is percent- and plus-decoded and has its whitespace collapsed; an empty search gives
    None.

    >>> extract_search_terms("https://www.google.co.uk/search?q=how+to+stay+safe&hl=en")
    'how to stay safe'
    """
    target = split_target(url)
    params = search_params(target.host)
    return None if params is None else terms_in(target.path, params)


@functools.lru_cache(maxsize=16384)
def search_params(host: str) -> tuple[str, ...] | None:
    """The query parameters that carry the search on this (normalised) host, or None."""
    if _ENGINE_LABELS.isdisjoint(host.split(".")) or _ANY_ENGINE.fullmatch(host) is None:
        return None
    for pattern, params in _ENGINES:
        if pattern.fullmatch(host):
            return params
    return None


def terms_in(path: str, params: tuple[str, ...]) -> str | None:
    """The search text in a URL's path, query and fragment, given the host's parameters."""
    query = path.partition("?")[2].partition("#")[0]
    fragment = path.partition("#")[2]
    return _first_param(query, params) or _first_param(fragment, params)


def _first_param(query: str, params: tuple[str, ...]) -> str | None:
    """The first non-blank value of the first parameter present, as `parse_qs` reads them.

    Written out rather than calling `parse_qs`, which decodes every pair of the query.
    """
    if not query:
        return None
    pairs = [part.partition("=") for part in query.split("&")]
    for param in params:
        for name, _, value in pairs:
            if not value:
                continue  # no "=", or nothing after it: parse_qs drops blank values
            if name != param and _decoded(name) != param:
                continue
            text = " ".join(_decoded(value).split())
            if text:
                return text
    return None


def _decoded(text: str) -> str:
    """Plus signs as spaces, then percent-escapes as UTF-8 (bad bytes replaced)."""
    return unquote(text.replace("+", " "), errors="replace") if "%" in text or "+" in text else text
