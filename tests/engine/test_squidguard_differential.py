"""The real squidGuard and SafeSchool, same configuration and lists, identical decisions.

Each scenario writes generated lists and a squidGuard.conf to a temporary folder, runs
/usr/bin/squidGuard (Debian package ``squidguard``) over hundreds of generated requests at
several emulated times (``squidGuard -t``), and requires the engine to block and pass exactly
the same requests, with the same block page (which carries the source group, the category,
the client, the user and the URL). Known squidGuard bugs are kept out of the generated lists and
have their own tests at the end of this file.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest
from sgharness import (
    HAVE_SQUIDGUARD,
    build_world,
    make_requests,
    request_line,
    run_squidguard,
    squidguard_answer,
)

from safeschool.daemons.squidhelper import SquidHelper
from safeschool.engine import PolicyHolder, load_squidguard_conf
from safeschool.eventlog import NullLog

pytestmark = pytest.mark.skipif(
    not HAVE_SQUIDGUARD, reason="squidGuard is not installed (apt-get install squidguard)"
)

TIMES = [
    datetime(2025, 3, 10, 10, 30),  # Monday, in lessons
    datetime(2025, 3, 10, 12, 30),  # Monday lunchtime
    datetime(2025, 3, 15, 11, 0),  # Saturday
    datetime(2025, 12, 25, 10, 0),  # Christmas Day (a Thursday, in a date rule)
    datetime(2025, 3, 12, 15, 29),  # Wednesday, last minute of lessons
    datetime(2025, 3, 12, 15, 30),  # Wednesday, first minute after lessons
]

SCHOOL_CONF = """\
dbhome {dbhome}
logdir {logdir}

time lessons {{
	weekly mtwhf 09:00-12:00 13:00 - 15:30
}}
time holidays {{
	weekly as 00:00-24:00
	date *.12.25
	date 2025.04.01-2025.04.05 08:00-18:00
}}

src staff {{
	ip 10.1.0.0/16
}}
src pupils {{
	ip 10.2.0.0/24 10.3.0.10-10.3.0.20
}}
src teachers {{
	user alice bob
}}
src labs {{
	ip 10.4.0.0/255.255.0.0
	user lab1 lab2
	within lessons
}}

dest adult {{
	domainlist adult/domains
	urllist adult/urls
	expressionlist adult/expressions
}}
dest social {{
	domainlist social/domains
	urllist social/urls
	expressionlist social/expressions
	redirect 302:{block}&dest=social
}}
dest games {{
	domainlist games/domains
	urllist games/urls
	outside holidays
}}
dest white {{
	domainlist white/domains
	urllist white/urls
}}

acl {{
	staff within lessons {{
		pass !adult !games all
	}} else {{
		pass !adult all
	}}
	pupils {{
		pass white !adult !social !games !in-addr all
		redirect {block}&acl=pupils
	}}
	teachers outside holidays {{
		pass !adult !social all
	}} else {{
		pass !adult any
	}}
	labs {{
		pass white none
	}}
	default {{
		pass white !adult !social !games none
		redirect {block}&acl=default
	}}
}}
"""

CLIENTS = ["10.1.5.5", "10.2.0.7", "10.2.1.7", "10.3.0.15", "10.3.0.21", "10.4.9.9", "192.168.1.1"]
USERS = ["-", "alice", "carol", "lab1"]


def _compare(tmp_path: Path, seed: int, conf_text: str, count: int) -> None:
    rng = random.Random(seed)
    world = build_world(tmp_path, rng, conf_text, ["adult", "social", "games", "white"])
    policy = load_squidguard_conf(world.conf)
    requests = make_requests(rng, world, count, CLIENTS, USERS)
    lines = [request_line(*r) for r in requests]
    mismatches = []
    for when in TIMES:
        answers = run_squidguard(world.conf, lines, when)
        for (url, client, user), answer in zip(requests, answers, strict=True):
            expected = squidguard_answer(answer)
            decision = policy.decide(url, client, user, when)
            got = (decision.blocked, decision.redirect if decision.blocked else None)
            if got != expected:
                mismatches.append(
                    f"{when:%a %H:%M} {url} {client} {user}: squidGuard "
                    f"{expected}, engine {got} ({decision.rule})"
                )
    assert not mismatches, f"{len(mismatches)} differences:\n" + "\n".join(mismatches[:25])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_decisions_as_squidguard_for_a_school_configuration(tmp_path: Path, seed: int) -> None:
    _compare(tmp_path, seed, SCHOOL_CONF, 400)


def test_requests_really_exercise_blocks_and_passes(tmp_path: Path) -> None:
    """Guards the guard: the generated traffic must hit every kind of rule."""
    rng = random.Random(1)
    world = build_world(tmp_path, rng, SCHOOL_CONF, ["adult", "social", "games", "white"])
    policy = load_squidguard_conf(world.conf)
    requests = make_requests(rng, world, 400, CLIENTS, USERS)
    seen = {
        (d.action, d.rule, d.category)
        for when in TIMES
        for d in (policy.decide(u, c, s, when) for u, c, s in requests)
    }
    for wanted in [
        ("block", "category", "adult"),
        ("block", "category", "social"),
        ("block", "category", "games"),
        ("allow", "category", "white"),
        ("block", "ip-address", "in-addr"),
        ("block", "default", "none"),
        ("allow", "default", None),
    ]:
        assert wanted in seen, wanted


SIMPLE_CONF = """\
dbhome {dbhome}
logdir {logdir}

dest adult {{
	domainlist adult/domains
	urllist adult/urls
}}

acl {{
	default {{
		pass !adult all
		redirect {block}
	}}
}}
"""


def _one_list(tmp_path: Path, domains: list[str], urls: list[str] | None = None) -> Path:
    db = tmp_path / "db" / "adult"
    db.mkdir(parents=True)
    (tmp_path / "log").mkdir()
    (db / "domains").write_text("\n".join(domains) + "\n")
    (db / "urls").write_text("\n".join(urls or ["unused.invalid/x"]) + "\n")
    conf = tmp_path / "squidGuard.conf"
    conf.write_text(
        SIMPLE_CONF.format(
            dbhome=tmp_path / "db", logdir=tmp_path / "log", block="http://blocked.invalid/"
        )
    )
    return conf


def _both(conf: Path, url: str) -> tuple[bool, bool]:
    when = datetime(2025, 3, 10, 10, 0)
    sg_blocked = squidguard_answer(
        run_squidguard(conf, [request_line(url, "10.0.0.1", "-")], when)[0]
    )[0]
    return sg_blocked, load_squidguard_conf(conf).decide(url, "10.0.0.1", None, when).blocked


def test_squidguard_bug_subdomain_missed_when_a_nested_entry_sorts_after_it(
    tmp_path: Path,
) -> None:
    """squidGuard bug: with ``foo.com`` and ``zzz.foo.com`` listed, ``aaa.foo.com`` passes.

    Its B-tree range look-up lands on ``zzz.foo.com`` and never sees ``foo.com``. SafeSchool
    blocks every subdomain of a listed domain.
    """
    conf = _one_list(tmp_path, ["zzz.foo.com", "foo.com"])
    assert _both(conf, "http://aaa.foo.com/") == (False, True)
    assert _both(conf, "http://foo.com/") == (True, True)


def test_squidguard_bug_url_entry_without_path_matches_look_alike_domains(
    tmp_path: Path,
) -> None:
    """squidGuard bug: a URL-list entry ``d.com`` also blocks ``d.community``.

    It compares raw string prefixes. SafeSchool matches the host exactly, then the path prefix.
    """
    conf = _one_list(tmp_path, ["unused.invalid"], ["d.com"])
    assert _both(conf, "http://d.community/") == (True, False)
    assert _both(conf, "http://d.com/page") == (True, True)


def test_squidguard_bug_leading_dot_entries_never_match(tmp_path: Path) -> None:
    """squidGuard keeps a leading dot on a list entry, so ``.dot.net`` never matches.
    SafeSchool strips it. (Upper-case entries are lower-cased by both.)"""
    conf = _one_list(tmp_path, ["Upper.COM", ".dot.net"])
    assert _both(conf, "http://www.dot.net/") == (False, True)
    assert _both(conf, "http://dot.net/") == (False, True)
    assert _both(conf, "http://www.upper.com/") == (True, True)


def test_squidguard_bug_connect_target_with_trailing_dot_escapes_domain_lists(
    tmp_path: Path,
) -> None:
    """squidGuard strips a trailing dot from URL hosts but not from CONNECT targets, so
    ``sub.example.com.:443`` slips past a list holding ``example.com``. SafeSchool blocks it."""
    conf = _one_list(tmp_path, ["example.com"])
    assert _both(conf, "sub.example.com.:443") == (False, True)
    assert _both(conf, "sub.example.com:443") == (True, True)
    assert _both(conf, "http://sub.example.com./") == (True, True)


@pytest.mark.parametrize("expressions", [True, False], ids=["with-expressions", "lists-only"])
def test_squid_helper_answers_byte_for_byte_as_squidguard(
    tmp_path: Path, expressions: bool
) -> None:
    """The Squid helper's own answer lines, not only the engine's decisions, are squidGuard's.

    Every block of lines is answered twice: the first pass works each answer out (and the
    helper remembers per-site answers), the second is answered from what it remembered. Both
    must be squidGuard's answers, byte for byte, at every emulated time. Without expressions
    nearly every group's answers can be remembered; with them only some can.
    """
    conf_text = SCHOOL_CONF
    if not expressions:
        conf_text = "\n".join(
            line for line in conf_text.splitlines() if "expressionlist" not in line
        )
    rng = random.Random(7)
    world = build_world(tmp_path, rng, conf_text, ["adult", "social", "games", "white"])
    policy = load_squidguard_conf(world.conf)
    requests = make_requests(rng, world, 400, CLIENTS, USERS)
    lines = [request_line(*r) for r in requests]
    block = "".join(f"{line}\n" for line in lines).encode()
    for when in TIMES:
        expected = run_squidguard(world.conf, lines, when)
        helper = SquidHelper(
            PolicyHolder(world.conf, policy),
            NullLog(),
            clock=lambda when=when: when,  # type: ignore[misc]
        )
        for attempt in ("worked out", "remembered"):
            got = helper.answer_block(block).decode().splitlines()
            wrong = [
                f"{when:%a %H:%M} {attempt}: {line}\n  squidGuard {sg}\n  SafeSchool {ours}"
                for line, sg, ours in zip(lines, expected, got, strict=True)
                if sg != ours
            ]
            assert not wrong, f"{len(wrong)} differences:\n" + "\n".join(wrong[:10])
