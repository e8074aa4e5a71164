"""`safeschool up` runs the DNS filter and the ingest worker beside the web app."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import dns.exception
import dns.message
import dns.query

from tests.daemons.conftest import SAFESCHOOL, stop_process
from tests.daemons.fakedns import FakeUpstream
from tests.test_cli import _free_port, _wait_for


def ask(port: int, name: str) -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=2)


def ask_until_up(port: int, name: str) -> dns.message.Message:
    deadline = time.monotonic() + 60
    while True:
        try:
            return ask(port, name)
        except dns.exception.Timeout:
            if time.monotonic() > deadline:
                raise


def test_up_starts_and_stops_the_dns_filter_and_ingest(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    web, dns_port = _free_port(), _free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment["SAFESCHOOL_DATA_DIR"] = str(tmp_path)
    process = subprocess.Popen(
        [
            SAFESCHOOL,
            "up",
            "--demo",
            "--port",
            str(web),
            "--dns-listen",
            f"127.0.0.1:{dns_port}",
            "--dns-upstream",
            f"127.0.0.1:{upstream.port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=environment,
    )
    try:
        _wait_for(f"http://127.0.0.1:{web}/healthz", process)
        reply = ask_until_up(dns_port, "www.google.com")  # the starter policy: safe search
        assert reply.answer[0].to_text().endswith("forcesafesearch.google.com.")
        deadline = time.monotonic() + 30
        while list((tmp_path / "spool").glob("*.seg*")) and time.monotonic() < deadline:
            time.sleep(0.2)  # the ingest worker takes the event and removes the segment
    finally:
        stop_process(process)
    try:
        ask(dns_port, "www.google.com")
        raise AssertionError("the DNS filter is still running")
    except dns.exception.Timeout:
        pass
