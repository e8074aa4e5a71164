"""The Squid helper, fed lines through pipes as Squid feeds it."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from datetime import datetime
from pathlib import Path

import pytest

from safeschool.daemons.squid_main import serve
from safeschool.daemons.squidhelper import SquidHelper
from safeschool.engine import PolicyHolder, load_policy, write_snapshot
from tests.daemons.conftest import SAFESCHOOL, policy_data


class Events(list[dict[str, object]]):
    """A sink that keeps events as the spool's reader would give them back."""

    def append(self, event: object) -> None:
        super().append(json.loads(event) if isinstance(event, (bytes, str)) else event)  # type: ignore[arg-type]

    def extend(self, events: object) -> None:
        for event in events:  # type: ignore[attr-defined]
            self.append(event)


@pytest.fixture
def events() -> list[dict[str, object]]:
    return Events()


@pytest.fixture
def helper(policy_file: Path, events: list[dict[str, object]]) -> SquidHelper:
    return SquidHelper(PolicyHolder(policy_file, load_policy(policy_file)), events)  # type: ignore[arg-type]


def run(helper: SquidHelper, text: bytes) -> list[str]:
    """Feed lines through real pipes and read every answer."""
    in_read, in_write = os.pipe()
    out_read, out_write = os.pipe()
    thread = threading.Thread(target=serve, args=(helper.answer_block, in_read, out_write))
    thread.start()
    os.write(in_write, text)
    os.close(in_write)
    thread.join(timeout=30)
    os.close(out_write)
    with os.fdopen(out_read, "rb") as handle:
        output = handle.read()
    os.close(in_read)
    return output.decode().splitlines()


def test_answers_like_squidguard(helper: SquidHelper) -> None:
    lines = (
        b"http://fine.example/ 127.0.0.1/- - GET myip=127.0.0.1 myport=3128\n"
        b"http://www.adult.test/x 127.0.0.1/- - GET myip=127.0.0.1 myport=3128\n"
        b"http://www.google.com/search?q=kittens 127.0.0.1/- - GET\n"
    )
    assert run(helper, lines) == [
        "ERR",
        'OK status=302 url="http://127.0.0.1:8000/blocked?url=http://www.adult.test/x'
        '&category=adult&group=pupils"',
        'OK rewrite-url="http://www.google.com/search?q=kittens&safe=active"',
    ]


def test_channel_ids_are_detected_and_echoed(helper: SquidHelper) -> None:
    lines = b"7 http://fine.example/ 127.0.0.1/- - GET\n3 http://adult.test/ 127.0.0.1/- - GET\n"
    replies = run(helper, lines)
    assert replies[0] == "7 ERR"
    assert replies[1].startswith("3 OK status=302 url=")


def test_connect_requests_are_handled(helper: SquidHelper) -> None:
    replies = run(
        helper,
        b"1 www.google.com:443 127.0.0.1/- - CONNECT\n2 adult.test:443 127.0.0.1/- - CONNECT\n",
    )
    assert replies[0] == '1 OK rewrite-url="forcesafesearch.google.com:443"'
    assert replies[1].startswith("2 OK status=302 url=")


def test_garbled_lines_get_bh_and_the_rest_is_answered(helper: SquidHelper) -> None:
    replies = run(
        helper,
        b"\xff\xfe\n4 \x01\x02 -\n5\n\n6 http://fine.example/ 127.0.0.1/- - GET\n"
        + b"x" * 70000
        + b"\n",
    )
    assert replies[0].startswith("BH message=")
    assert replies[1].startswith("4 BH message=")
    assert replies[2].startswith("BH message=")  # "5" alone is not a channel: nothing follows
    assert replies[3].startswith("BH message=")
    assert replies[4] == "6 ERR"
    assert replies[5].startswith("BH message=")
    assert len(replies) == 6


def test_external_acl_protocol(policy_file: Path, events: list[dict[str, object]]) -> None:
    acl = SquidHelper(
        PolicyHolder(policy_file, load_policy(policy_file)), events, external_acl=True
    )  # type: ignore[arg-type]
    replies = run(
        acl, b"0 http://fine.example/ 127.0.0.1 -\n1 http://adult.test/%7Ex 127.0.0.1 -\n"
    )
    assert replies[0] == "0 OK"
    assert replies[1].startswith(
        '1 ERR message="http://127.0.0.1:8000/blocked?url=http://adult.test/~x'
    )
    assert replies[1].endswith("tag=adult log=adult")


def test_blocks_rewrites_and_search_terms_are_logged(
    helper: SquidHelper, events: list[dict[str, object]]
) -> None:
    run(
        helper,
        b"http://adult.test/ 127.0.0.1/- alice GET\n"
        b"http://www.bing.com/search?q=how+to+revise 127.0.0.1/- - GET\n",
    )
    assert events[0]["action"] == "block" and events[0]["user"] == "alice"
    assert events[1]["terms"] == "how to revise"


def test_each_answer_is_flushed_before_the_next_request(policy_file: Path, tmp_path: Path) -> None:
    """Squid without concurrency waits for each answer before sending the next line."""
    process = subprocess.Popen(
        [SAFESCHOOL, "squid-helper", "--policy", str(policy_file), "--spool", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        for url in (b"http://fine.example/", b"http://adult.test/", b"http://fine.example/2"):
            process.stdin.write(url + b" 127.0.0.1/- - GET\n")
            process.stdin.flush()
            assert process.stdout.readline()  # answered without closing stdin
    finally:
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    assert list(tmp_path.glob("squid-*.seg"))  # events sealed on exit


LINES = (
    b"http://fine.example/a 127.0.0.1/- - GET myip=127.0.0.1 myport=3128\n"
    b"http://www.adult.test/x?y=1 127.0.0.1/- alice GET\n"
    b"http://social.test/ 127.0.0.2/- - GET\n"
    b"http://www.bing.com/search?q=how+to+revise 127.0.0.1/- - GET\n"
    b"social.test:443 127.0.0.1/- - CONNECT\n"
    b"http://fine.example/b?search=x 127.0.0.2/- - GET\n"
    b"https://duckduckgo.com/?q=risky+words 127.0.0.2/- bob GET\n"
    b"http://adult.test/ -/- - GET\n"
)


def _without_times(events: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in e.items() if k != "t"} for e in events]


def test_remembered_answers_and_events_match_the_full_path(tmp_path: Path) -> None:
    """Answers the helper remembers are the ones the full path gives, and so are their events."""
    policy_file = tmp_path / "policy.json"
    data = policy_data(extra_adult=["duckduckgo.com"])
    data["redirect"] = "302:http://127.0.0.1:8000/blocked?url=%u&c=%a&u=%i&g=%s&t=%t"
    write_snapshot(data, policy_file)
    holder = PolicyHolder(policy_file, load_policy(policy_file))
    full_events, fast_events = Events(), Events()
    full = SquidHelper(holder, full_events)
    fast = SquidHelper(holder, fast_events)
    expected = [full.answer(line) for line in LINES.splitlines()]
    for _ in range(3):  # the first pass remembers, the others answer from memory
        assert fast.answer_block(LINES).splitlines(keepends=True) == expected
    assert _without_times(fast_events) == _without_times(full_events) * 3
    assert {e["action"] for e in fast_events} == {"allow", "block", "rewrite"}
    assert {e.get("terms") for e in fast_events} == {None, "how to revise", "risky words"}


def test_a_new_policy_replaces_remembered_answers(tmp_path: Path, policy_file: Path) -> None:
    holder = PolicyHolder(policy_file, load_policy(policy_file))
    helper = SquidHelper(holder, Events())
    line = b"http://www.newly-bad.test/ 127.0.0.1/- - GET\n"
    assert helper.answer_block(line) == b"ERR\n"
    updated = tmp_path / "updated.json"
    write_snapshot(policy_data(extra_adult=["newly-bad.test"]), updated)
    holder.policy = load_policy(updated)
    assert helper.answer_block(line).startswith(b"OK status=302")


def test_remembered_answers_follow_the_schedule(tmp_path: Path) -> None:
    """Social media open at lunchtime only: the same site, the minute lunch starts and ends."""
    data = policy_data()
    data["schedules"] = {
        "lunch": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "12:00", "end": "13:00"}]
    }
    data["groups"][1]["categories"][1]["outside"] = "lunch"
    path = tmp_path / "policy.json"
    write_snapshot(data, path)
    now = [datetime(2026, 11, 16, 11, 59)]  # a Monday
    helper = SquidHelper(
        PolicyHolder(path, load_policy(path)),
        Events(),
        clock=lambda: now[0],
    )
    line = b"http://social.test/feed 127.0.0.1/- - GET\n"
    answers = []
    for moment in ((11, 59), (12, 0), (12, 59), (13, 0)):
        now[0] = datetime(2026, 11, 16, *moment)
        answers.append(helper.answer_block(line).split()[0])
    assert answers == [b"OK", b"ERR", b"ERR", b"OK"]


@pytest.mark.parametrize(
    "lines",
    [
        b"http://adult.test/  127.0.0.1/- - GET\nhttp://fine.example/\t127.0.0.1/-\t-\tGET\n",
        b'http://adult.test/"x\\y 127.0.0.1/- - GET\nhttp://fine.example/ 127.0.0.1/- - GET\n',
        "http://adult.test/caf\u00e9 127.0.0.1/- - GET\n".encode(),
    ],
    ids=["spacing", "quotes", "non-ascii"],
)
def test_odd_lines_take_the_full_path(helper: SquidHelper, lines: bytes) -> None:
    """Odd spacing, quotes, backslashes and non-ASCII are read as the full path reads them."""
    assert helper.answer_block(lines).splitlines() == [
        helper.answer(line).rstrip(b"\n") for line in lines.splitlines()
    ]


def test_without_allowed_requests_only_blocks_rewrites_and_searches_are_logged(
    policy_file: Path,
) -> None:
    holder = PolicyHolder(policy_file, load_policy(policy_file))
    full_events, fast_events = Events(), Events()
    full = SquidHelper(holder, full_events, log_allowed=False)
    fast = SquidHelper(holder, fast_events, log_allowed=False)
    for line in LINES.splitlines():
        full.answer(line)
    fast.answer_block(LINES)
    fast.answer_block(LINES)  # answered from memory
    assert _without_times(fast_events) == _without_times(full_events) * 2
    kept = {(e["url"], e["action"]) for e in fast_events}
    assert ("http://fine.example/a", "allow") not in kept
    assert ("http://fine.example/b?search=x", "allow") not in kept
    assert ("http://www.adult.test/x?y=1", "block") in kept
    assert ("http://www.bing.com/search?q=how+to+revise", "rewrite") in kept
