"""Search terms typed into search engines and sites, read from request URLs for monitoring.

A DNS filter never sees these: they need the full URL (plain HTTP, or HTTPS decrypted by the
proxy on school-managed devices).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

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
    query = target.path.partition("?")[2].partition("#")[0]
    fragment = target.path.partition("#")[2]
    for pattern, params in _ENGINES:
        if pattern.fullmatch(target.host):
            return _first_param(query, params) or _first_param(fragment, params)
    return None


def _first_param(query: str, params: tuple[str, ...]) -> str | None:
    if not query:
        return None
    values = parse_qs(query, keep_blank_values=False, errors="replace")
    for param in params:
        for value in values.get(param, ()):
            text = " ".join(value.split())
            if text:
                return text
    return None
