"""Decisions from a policy snapshot, in the rule order of ARCHITECTURE.md."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from safeschool.engine import Policy, load_policy

FIXTURES = Path(__file__).parent / "fixtures"
MONDAY_LESSON = datetime(2025, 3, 10, 10, 0)
MONDAY_LUNCH = datetime(2025, 3, 10, 12, 15)
SATURDAY_LUNCH = datetime(2025, 3, 15, 12, 15)
PUPIL = "10.2.3.4"
STAFF = "10.1.0.9"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(FIXTURES / "snapshot.json")


def test_illegal_layer_blocks_everyone_even_when_allow_listed(policy: Policy) -> None:
    for client in (PUPIL, STAFF, "192.0.2.1"):
        decision = policy.decide("http://www.csam-example.invalid/x", client)
        assert (decision.action, decision.rule, decision.category) == (
            "block",
            "illegal",
            "illegal",
        )
        assert decision.redirect == "https://block.school.example/illegal"
    assert policy.decide("hosting-example.com/illegal/page/2", STAFF).rule == "illegal"
    assert policy.decide("http://inline-illegal.invalid/", STAFF).blocked


def test_allow_list_beats_categories_for_its_urls_only(policy: Policy) -> None:
    assert policy.decide("https://instagram.com/school-account/photo", PUPIL).rule == "allow-list"
    blocked = policy.decide("https://instagram.com/someone-else", PUPIL)
    assert (blocked.action, blocked.category) == ("block", "social")


def test_global_allow_list_applies_to_every_group(policy: Policy) -> None:
    assert policy.decide("http://www.bbc.co.uk/news", "10.9.0.1").rule == "allow-list"


def test_deny_list_blocks_domain_and_url_entries(policy: Policy) -> None:
    assert policy.decide("http://games-example.com/", PUPIL).rule == "deny-list"
    assert policy.decide("http://tiktok.com/@bad/video", PUPIL).rule == "deny-list"
    assert policy.decide("http://games-example.com/", STAFF).action == "allow"


def test_domain_entries_cover_subdomains_but_not_look_alikes(policy: Policy) -> None:
    assert policy.decide("http://deep.sub.facebook.com/", PUPIL).category == "social"
    assert policy.decide("http://notfacebook.com/", PUPIL).action == "allow"
    assert policy.decide("http://facebook.com.evil.example/", PUPIL).action == "allow"


def test_schedule_lets_staff_use_social_media_at_lunch_on_weekdays(policy: Policy) -> None:
    assert policy.decide("https://facebook.com/", STAFF, when=MONDAY_LESSON).blocked
    assert not policy.decide("https://facebook.com/", STAFF, when=MONDAY_LUNCH).blocked
    assert policy.decide("https://facebook.com/", STAFF, when=SATURDAY_LUNCH).blocked


def test_user_name_wins_over_address(policy: Policy) -> None:
    decision = policy.decide("https://facebook.com/", PUPIL, user="ALICE", when=MONDAY_LUNCH)
    assert decision.group == "staff" and not decision.blocked


def test_unknown_client_gets_the_most_restrictive_group(policy: Policy) -> None:
    decision = policy.decide("http://example.org/", "192.0.2.55")
    assert (decision.group, decision.action, decision.rule) == ("exams", "block", "default")
    assert policy.decide("http://exam-board.example/", None).action == "allow"


def test_adblock_exception_exempts_a_subdomain(policy: Policy) -> None:
    assert policy.decide("http://ads-example.com/", PUPIL).category == "ads"
    assert policy.decide("http://good.ads-example.com/", PUPIL).action == "allow"
    assert policy.decide("http://ads.tracker-example.com/", PUPIL).category == "ads"


def test_expressions_and_url_lists_of_a_category(policy: Policy) -> None:
    assert policy.decide("http://anything.example/xxx12.html", PUPIL).category == "adult"
    assert policy.decide("http://www.free-host.example.com/adult/1", PUPIL).category == "adult"


def test_ip_address_urls_blocked_when_the_group_says_so(policy: Policy) -> None:
    assert policy.decide("http://203.0.113.9/", PUPIL).rule == "ip-address"
    assert policy.decide("http://203.0.113.9/", STAFF).action == "allow"


def test_idn_hosts_match_in_unicode_and_punycode(policy: Policy) -> None:
    assert policy.decide("http://BÜCHER-wette.de/", PUPIL).category == "gambling"
    assert policy.decide("http://xn--bcher-wette-thb.de/", PUPIL).category == "gambling"


def test_block_page_gets_the_substitutions(policy: Policy) -> None:
    decision = policy.decide("http://facebook.com/x", PUPIL)
    assert decision.redirect == (
        "https://block.school.example/?url=http://facebook.com/x&cat=social&group=pupils"
    )


def test_safe_search_rewrites_for_the_proxy(policy: Policy) -> None:
    google = policy.decide("https://www.google.co.uk/search?q=cats", PUPIL)
    assert (google.action, google.rule) == ("rewrite", "safe-search")
    assert google.redirect == "https://www.google.co.uk/search?q=cats&safe=active"
    bing = policy.decide("https://www.bing.com/search?q=cats", PUPIL)
    assert bing.redirect == "https://www.bing.com/search?q=cats&adlt=strict"
    ddg = policy.decide("https://duckduckgo.com/?q=cats", PUPIL)
    assert ddg.redirect == "https://duckduckgo.com/?q=cats&kp=1"
    youtube = policy.decide("https://www.youtube.com/watch?v=1", STAFF)
    assert (youtube.action, youtube.header) == ("allow", "YouTube-Restrict: Moderate")
    already = policy.decide("https://www.google.com/search?q=x&safe=active", PUPIL)
    assert already.action == "allow"


def test_safe_search_names_for_dns(policy: Policy) -> None:
    expected = {
        "www.google.com": "forcesafesearch.google.com",
        "www.google.co.uk.": "forcesafesearch.google.com",
        "www.bing.com": "strict.bing.com",
        "duckduckgo.com": "safe.duckduckgo.com",
        "m.youtube.com": "restrict.youtube.com",
    }
    for qname, cname in expected.items():
        decision = policy.decide_dns(qname, PUPIL)
        assert (decision.action, decision.cname) == ("rewrite", cname), qname
    assert policy.decide_dns("www.youtube.com", STAFF).cname == "restrictmoderate.youtube.com"
    assert policy.decide_dns("www.bing.com", STAFF).action == "allow"
    assert policy.decide_dns("facebook.com", PUPIL).blocked
    assert policy.decide_dns("csam-example.invalid", STAFF).rule == "illegal"


def test_connect_to_a_search_engine_is_pointed_at_its_safe_host(policy: Policy) -> None:
    decision = policy.decide("www.google.com:443", PUPIL)
    assert (decision.action, decision.redirect) == ("rewrite", "forcesafesearch.google.com:443")


def test_aware_times_are_converted_to_local_time(policy: Policy) -> None:
    lunch = MONDAY_LUNCH.astimezone()
    assert not policy.decide("https://facebook.com/", STAFF, when=lunch).blocked
