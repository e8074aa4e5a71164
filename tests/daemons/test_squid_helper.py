"""The Squid helper, fed lines through pipes as Squid feeds it."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from safeschool.daemons.squid_main import serve
from safeschool.daemons.squidhelper import SquidHelper
from safeschool.engine import PolicyHolder, load_policy
from tests.daemons.conftest import SAFESCHOOL


@pytest.fixture
def events() -> list[dict[str, object]]:
    return []


@pytest.fixture
def helper(policy_file: Path, events: list[dict[str, object]]) -> SquidHelper:
    return SquidHelper(PolicyHolder(policy_file, load_policy(policy_file)), events)  # type: ignore[arg-type]


def run(helper: SquidHelper, text: bytes) -> list[str]:
    """Feed lines through real pipes and read every answer."""
    in_read, in_write = os.pipe()
    out_read, out_write = os.pipe()
    thread = threading.Thread(target=serve, args=(helper.answer, in_read, out_write))
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
