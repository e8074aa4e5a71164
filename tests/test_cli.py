"""The `safeschool` command, run as a newcomer would, against a fresh SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SAFESCHOOL = str(Path(sys.executable).parent / "safeschool")


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update({"SAFESCHOOL_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [SAFESCHOOL, *args],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_seed_demo_creates_the_schools_and_prints_the_log_ins(tmp_path: Path) -> None:
    result = _run(["seed-demo"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "oakfield-demo" in result.stdout
    for username in [
        "dsl",
        "deputy",
        "head",
        "teacher",
        "technician",
        "governor",
        "chair",
        "riverside-dsl",
    ]:
        assert f"  {username} " in result.stdout
    assert (tmp_path / "safeschool.sqlite3").exists()
    again = _run(["seed-demo"], tmp_path)
    assert again.returncode != 0
    assert "already exist" in again.stderr


def test_up_without_demo_will_not_invent_an_administrator(tmp_path: Path) -> None:
    result = _run(["up", "--port", "1"], tmp_path)
    assert result.returncode != 0
    assert "SAFESCHOOL_ADMIN_USERNAME" in result.stderr


def test_up_refuses_a_weak_administrator_password(tmp_path: Path) -> None:
    result = _run(
        ["up", "--port", "1"],
        tmp_path,
        SAFESCHOOL_ADMIN_USERNAME="admin",
        SAFESCHOOL_ADMIN_PASSWORD="short",
    )
    assert result.returncode != 0
    assert "too short" in result.stderr


def test_django_commands_are_available(tmp_path: Path) -> None:
    result = _run(["check"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SAFESCHOOL_PRODUCTION": "1"}, "SAFESCHOOL_SECRET_KEY must be set"),
        (
            {
                "SAFESCHOOL_PRODUCTION": "1",
                "SAFESCHOOL_SECRET_KEY": "x" * 60,
                "SAFESCHOOL_DEBUG": "1",
            },
            "must be off in production",
        ),
        (
            {"SAFESCHOOL_PRODUCTION": "1", "SAFESCHOOL_SECRET_KEY": "django-insecure-" + "x" * 40},
            "known default",
        ),
        ({"SAFESCHOOL_DEBUG": "perhaps"}, "must be true or false"),
    ],
)
def test_production_refuses_unsafe_settings(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = _run(["check"], tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 60) -> str:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode())
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.mark.parametrize(
    "args, env, expect",
    [
        (["--demo"], {}, "riverside-dsl"),
        (
            [],
            {
                "SAFESCHOOL_ADMIN_USERNAME": "admin",
                "SAFESCHOOL_ADMIN_PASSWORD": "a-long-admin-passphrase",
            },
            "Administrator admin created",
        ),
    ],
)
def test_up_prepares_the_database_and_serves(
    tmp_path: Path, args: list[str], env: dict[str, str], expect: str
) -> None:
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update({"SAFESCHOOL_DATA_DIR": str(tmp_path), **env})
    process = subprocess.Popen(
        [SAFESCHOOL, "up", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=environment,
    )
    try:
        assert '"ok"' in _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        assert "Log in to SafeSchool" in _wait_for(
            f"http://127.0.0.1:{port}/accounts/login/", process
        )
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert expect in output
