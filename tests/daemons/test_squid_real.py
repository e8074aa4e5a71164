"""A real Squid (Debian's) with the helper as its url_rewrite_program, driven with curl."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from safeschool.engine import write_snapshot
from tests.daemons.conftest import SAFESCHOOL, policy_data, stop_process

SQUID = "/usr/sbin/squid"
pytestmark = pytest.mark.skipif(not Path(SQUID).exists(), reason="Debian's squid is not installed")


class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello from {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def web() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def helper_command(work: Path) -> str:
    """As root, Squid runs helpers as the `proxy` user, who may not reach the virtualenv's
    interpreter (under /root): run the Django-free helper with the system Python instead."""
    if os.geteuid() != 0 or not Path("/usr/bin/python3").exists():
        return SAFESCHOOL
    repo = Path(__file__).resolve().parent.parent.parent
    wrapper = work / "helper.sh"
    wrapper.write_text(
        f'#!/bin/sh\nPYTHONPATH={repo} exec /usr/bin/python3 -m safeschool.cli "$@"\n'
    )
    wrapper.chmod(0o755)
    return str(wrapper)


@pytest.fixture
def squid(web: int) -> Iterator[int]:
    work = Path(tempfile.mkdtemp(prefix="safeschool-squid-"))
    work.chmod(0o777)  # Squid and its helpers run as the unprivileged proxy user
    data = policy_data()
    data["redirect"] = f"302:http://127.0.0.1:{web}/blocked?url=%u&category=%t"
    write_snapshot(data, work / "policy.json")
    (work / "policy.json").chmod(0o644)
    (work / "hosts").write_text("127.0.0.1 www.google.com adult.test\n")
    port = free_port()
    config = work / "squid.conf"
    user = "cache_effective_user proxy" if os.geteuid() == 0 else ""
    config.write_text(
        SQUID_CONF.format(port=port, work=work, helper=helper_command(work), user=user)
    )
    process = subprocess.Popen(
        [SQUID, "-N", "-n", f"safeschool{port}", "-f", str(config)], stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, process)
        yield port
    finally:
        stop_process(process)
        if os.environ.get("KEEP") is None:
            shutil.rmtree(work, ignore_errors=True)


SQUID_CONF = """
http_port 127.0.0.1:{port}
pid_filename {work}/squid.pid
cache_log {work}/cache.log
access_log stdio:{work}/access.log
{user}
coredump_dir {work}
cache deny all
cache_mem 8 MB
hosts_file {work}/hosts
dns_nameservers 127.0.0.1
shutdown_lifetime 1 seconds
http_access allow localhost
http_access deny all
url_rewrite_program {helper} squid-helper --policy {work}/policy.json --spool {work}/spool
url_rewrite_children 2 startup=1 idle=1 concurrency=10
"""


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "squid exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("squid did not start")


def curl(proxy: int, url: str) -> tuple[str, str]:
    result = subprocess.run(
        [
            "curl",
            "-s",
            "-x",
            f"http://127.0.0.1:{proxy}",
            "-o",
            "-",
            "-w",
            "\n%{http_code} %{redirect_url}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "no_proxy": ""},
    )
    body, _, status = result.stdout.rpartition("\n")
    return body, status


def test_allowed_blocked_and_safe_search_through_squid(squid: int, web: int) -> None:
    body, status = curl(squid, f"http://127.0.0.1:{web}/lesson")
    assert (body, status.split()[0]) == ("hello from /lesson", "200")

    _, status = curl(squid, f"http://adult.test:{web}/page")
    code, location = status.split()
    assert code == "302"
    assert location.startswith(f"http://127.0.0.1:{web}/blocked?url=http://adult.test")
    assert "category=adult" in location

    body, status = curl(squid, f"http://www.google.com:{web}/search?q=kittens")
    assert status.split()[0] == "200"
    assert body == "hello from /search?q=kittens&safe=active"
