"""Normalisation never hangs or raises on any text a client can send."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from safeschool.engine.normalise import split_parts


def test_whitespace_inside_the_host_is_removed_not_recursed_on() -> None:
    assert split_parts("http://a\xa0/x")[0] == "a"
    assert split_parts("http://example.com\u2003?q=1")[0] == "example.com"
    assert split_parts("a\xa0#")[0] == "a"


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_split_parts_always_returns(text: str) -> None:
    host, path, scheme = split_parts("http://" + text)
    assert isinstance(host, str) and isinstance(path, str) and scheme == "http"
