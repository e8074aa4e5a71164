"""Normalising URLs and hosts: case, dots, ports, user-info, IDN and IP addresses."""

from __future__ import annotations

import pytest

from safeschool.engine.normalise import (
    is_ip_address,
    parent_domains,
    split_target,
    stripped_host,
    to_unicode,
    url_key,
)


@pytest.mark.parametrize(
    ("given", "host"),
    [
        ("http://Example.COM/Path", "example.com"),
        ("https://user:secret@example.com:8443/x", "example.com"),
        ("http://example.com./", "example.com"),
        ("example.com:443", "example.com"),
        ("EXAMPLE.com", "example.com"),
        ("http://[2001:db8::1]:8080/", "2001:db8::1"),
        ("http://bücher.de/", "xn--bcher-kva.de"),
        ("http://3232235777/", "192.168.1.1"),
        ("http://0x7f.1/", "127.0.0.1"),
        ("http://example.com?q=1", "example.com"),
        ("http://example.com#frag", "example.com"),
    ],
)
def test_hosts_are_normalised(given: str, host: str) -> None:
    assert split_target(given).host == host


def test_path_keeps_query_and_scheme_is_lower_case() -> None:
    target = split_target("HTTPS://example.com/A?b=C")
    assert (target.scheme, target.path) == ("https", "/A?b=C")
    assert split_target("example.com:443").scheme == ""


def test_url_key_is_lower_case_and_percent_decoded() -> None:
    assert url_key("site.com", "/%62AD/Page") == "site.com/bad/page"


def test_www_like_first_labels_are_stripped_once() -> None:
    assert stripped_host("www.site.com") == "site.com"
    assert stripped_host("www2.site.com") == "site.com"
    assert stripped_host("web.site.com") == "site.com"
    assert stripped_host("webmail.site.com") is None
    assert stripped_host("www.com") is None


def test_parent_domains_and_ip_detection_and_unicode_display() -> None:
    assert parent_domains("a.b.c") == ["a.b.c", "b.c", "c"]
    assert is_ip_address("10.0.0.1") and is_ip_address("2001:db8::1")
    assert not is_ip_address("10.0.0.com")
    assert to_unicode("xn--bcher-kva.de") == "bücher.de"
