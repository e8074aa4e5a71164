"""Search terms read from URLs for monitoring."""

from __future__ import annotations

import pytest

from safeschool.engine import extract_search_terms


@pytest.mark.parametrize(
    ("url", "terms"),
    [
        ("https://www.google.co.uk/search?q=how+to+stay+safe&hl=en", "how to stay safe"),
        ("https://www.google.com/search?hl=en&q=self%20harm", "self harm"),
        ("https://www.bing.com/search?q=vape+shop", "vape shop"),
        ("https://duckduckgo.com/?q=knife&ia=web", "knife"),
        ("https://uk.search.yahoo.com/search?p=weather+london", "weather london"),
        ("https://www.youtube.com/results?search_query=minecraft+mods", "minecraft mods"),
        ("https://www.ecosia.org/search?method=index&q=trees", "trees"),
        ("https://en.wikipedia.org/w/index.php?search=Isaac+Newton", "Isaac Newton"),
        ("https://search.brave.com/search?q=privacy", "privacy"),
        ("https://yandex.com/search/?text=hello", "hello"),
        ("https://www.baidu.com/s?wd=%E4%BD%A0%E5%A5%BD", "你好"),
        ("https://www.startpage.com/do/search?query=maths", "maths"),
        ("https://www.amazon.co.uk/s?k=lighter", "lighter"),
        ("https://www.google.com/#q=fragment+search", "fragment search"),
        ("HTTPS://WWW.GOOGLE.COM/search?q=Upper+Host", "Upper Host"),
    ],
)
def test_search_terms_are_extracted(url: str, terms: str) -> None:
    assert extract_search_terms(url) == terms


@pytest.mark.parametrize(
    "url",
    [
        "https://www.google.com/maps/place/London",
        "https://www.google.com/search?q=",
        "https://example.com/search?q=not+a+search+engine",
        "https://www.bing.com.evil.example/search?q=x",
        "www.google.com:443",
    ],
)
def test_no_search_terms(url: str) -> None:
    assert extract_search_terms(url) is None
