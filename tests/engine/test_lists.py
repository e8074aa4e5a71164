"""Readers for squidGuard trees, hosts files, plain domain lists and adblock rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeschool.engine.errors import ListError
from safeschool.engine.lists import (
    parse_adblock,
    parse_domains,
    parse_expressions,
    parse_hosts,
    parse_urls,
    read_list,
    read_squidguard_tree,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_ut1_tree_reads_every_category_with_its_files() -> None:
    tree = read_squidguard_tree(FIXTURES / "ut1")
    assert sorted(tree) == ["adult", "educational", "gambling", "social_networks"]
    adult = tree["adult"]
    assert adult.domains == [
        "adult-example.com",
        "xxx-example.net",
        "naughty.example.org",
        "sub.cams-example.com",
    ]
    assert adult.urls == [("free-host.example.com", "/adult"), ("www.pages.example.net", "/nsfw/")]
    assert len(adult.expressions) == 2


def test_malformed_lines_are_reported_with_file_and_line_and_the_rest_loads() -> None:
    tree = read_squidguard_tree(FIXTURES / "ut1")
    problems = tree["adult"].problems
    assert problems.total == 2
    where = [(Path(p.path).name, p.line) for p in problems.items]
    assert where == [("domains", 6), ("expressions", 3)]
    assert "bad line with spaces" in str(problems.items[0])


def test_idn_entries_are_stored_in_punycode() -> None:
    tree = read_squidguard_tree(FIXTURES / "ut1")
    assert "xn--bcher-wette-thb.de" in tree["gambling"].domains


def test_plain_list_skips_comments_and_blanks_and_strips_stray_dots() -> None:
    contents = read_list(FIXTURES / "plain.txt", "domains")
    assert contents.domains == ["plain-example.com", "second.example.net", "leading-dot.example"]
    assert [(p.line, p.text) for p in contents.problems.items] == [(6, "http://not/a/domain")]


def test_clean_large_list_takes_the_fast_path_with_the_same_result() -> None:
    text = "".join(f"host{i}.example.com\n" for i in range(1000))
    assert parse_domains(text, "big").domains == [f"host{i}.example.com" for i in range(1000)]
    assert parse_domains(".a.com\nb.com.\n", "dots").domains == ["a.com", "b.com"]


def test_domain_line_numbers_count_correctly_after_many_good_lines() -> None:
    text = "a.com\n" * 500 + "not a domain\n" + "b.com\n" * 10 + "also bad!\n"
    problems = parse_domains(text, "f").problems
    assert [p.line for p in problems.items] == [501, 512]


def test_hosts_file_takes_every_name_after_the_address() -> None:
    contents = read_list(FIXTURES / "hosts.txt", "hosts")
    assert contents.domains == [
        "ads.tracker-example.com",
        "tracker-example.net",
        "metrics.example.org",
    ]
    assert [p.line for p in contents.problems.items] == [5, 6]


def test_adblock_blocks_and_exceptions_and_reports_unsupported_rules() -> None:
    contents = read_list(FIXTURES / "adblock.txt", "adblock")
    assert contents.domains == ["ads-example.com", "doubleclick-example.net", "tracker.example.org"]
    assert contents.exceptions == ["good.ads-example.com"]
    assert [(p.line, p.text) for p in contents.problems.items] == [
        (6, "##.banner"),
        (7, "/banner/*"),
    ]


def test_url_entries_drop_scheme_and_port_and_lower_case() -> None:
    contents = parse_urls("HTTP://Site.Example:8080/Path\nexample.org\nbad host/x\n", "u")
    assert contents.urls == [("site.example", "/path"), ("example.org", "")]
    assert contents.problems.items[0].line == 3


def test_expressions_are_case_insensitive_and_posix_classes_work() -> None:
    contents = parse_expressions("[[:digit:]]{3}sex\n(bad\n", "e")
    assert contents.expressions[0].search("http://x/123SEX")
    assert contents.problems.items[0].line == 2


def test_unreadable_file_stops_the_load() -> None:
    with pytest.raises(ListError, match="cannot read"):
        read_list(FIXTURES / "missing.txt", "domains")


def test_hosts_and_adblock_parsers_ignore_comment_only_input() -> None:
    assert parse_hosts("# only a comment\n\n", "h").entry_count == 0
    assert parse_adblock("! comment\n[Adblock]\n", "a").entry_count == 0
