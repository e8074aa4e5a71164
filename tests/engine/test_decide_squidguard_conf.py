"""Decisions from a squidGuard.conf fixture, and configuration errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from safeschool.engine import ConfigError, Policy, load_policy

FIXTURES = Path(__file__).parent / "fixtures"
LESSON = datetime(2025, 3, 10, 10, 0)
LUNCH = datetime(2025, 3, 10, 12, 30)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(FIXTURES / "squidGuard.conf")


def test_dest_redirect_with_status_and_substitutions(policy: Policy) -> None:
    decision = policy.decide("http://adult-example.com/x", "10.2.0.5", None, LESSON)
    assert (decision.action, decision.category, decision.group) == ("block", "adult", "pupils")
    assert decision.status == 302
    assert decision.redirect == (
        "http://block.school.example/?cat=adult&group=pupils&url=http://adult-example.com/x"
    )


def test_acl_time_variants(policy: Policy) -> None:
    assert policy.decide("http://facebook.com/", "10.1.0.5", None, LESSON).blocked
    assert not policy.decide("http://facebook.com/", "10.1.0.5", None, LUNCH).blocked


def test_address_range_and_user_sources(policy: Policy) -> None:
    assert policy.decide("http://x.example/", "10.3.0.50", None, LESSON).group == "pupils"
    assert policy.decide("http://x.example/", "10.3.0.51", None, LESSON).group == "default"
    assert policy.decide("http://x.example/", "192.0.2.1", "bob", LESSON).group == "teachers"


def test_default_acl_passes_none_and_uses_its_redirect(policy: Policy) -> None:
    decision = policy.decide("http://x.example/", "192.0.2.1", "-", LESSON)
    assert (decision.action, decision.category, decision.rule) == ("block", "none", "default")
    assert decision.redirect == "http://block.school.example/default?client=192.0.2.1&user="
    assert policy.decide("http://www.bbc.co.uk/", "192.0.2.1").action == "allow"


def test_rew_rule_rewrites_passed_requests(policy: Policy) -> None:
    decision = policy.decide("http://www.google.co.uk/search?q=x", "10.2.0.5", None, LESSON)
    assert (decision.action, decision.rule) == ("rewrite", "rewrite")
    assert decision.redirect == "http://www.google.co.uk/search?safe=active&q=x"


def test_in_addr_blocks_ip_urls_for_pupils(policy: Policy) -> None:
    assert policy.decide("http://198.51.100.7/", "10.2.0.5", None, LESSON).rule == "ip-address"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "dest a {\n domainlist a/domains\n}\nacl {\n default {\n pass !b all\n }\n}\n",
            ":7: dest 'b' is not defined",
        ),
        ("acl {\n default {\n pass all\n", "missing '}'"),
        (
            "src s {\n ip 10.0.0.0/33\n}\nacl {\n default {\n pass all\n }\n}\n",
            "conf:3: '10.0.0.0/33'",
        ),
        ("acl {\n pupils {\n pass all\n }\n}\n", "undefined src 'pupils'"),
        ("acl {\n other {\n pass all\n }\n}\n", "undefined src"),
        ("src s {\n ip 10.0.0.1\n}\nacl {\n s {\n pass all\n }\n}\n", "no 'default' entry"),
        ("ldapbinddn cn=x\n", "unknown or unsupported keyword 'ldapbinddn'"),
        ("time t {\n weekly xyz 10:00-11:00\n}\n", "cannot read days"),
    ],
)
def test_bad_configurations_fail_with_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    conf = tmp_path / "squidGuard.conf"
    conf.write_text(f"dbhome {tmp_path}\n{text}")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "domains").write_text("a.example\n")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_policy(conf)


def test_missing_list_file_fails_the_load(tmp_path: Path) -> None:
    conf = tmp_path / "squidGuard.conf"
    conf.write_text(
        f"dbhome {tmp_path}\ndest a {{\n domainlist nope/domains\n}}\n"
        "acl {\n default {\n pass !a all\n }\n}\n"
    )
    with pytest.raises(Exception, match="cannot read list file"):
        load_policy(conf)
