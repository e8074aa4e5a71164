"""The daemons' policy watcher: a new snapshot comes into force, whatever went wrong before."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from safeschool.daemons.common import PolicyWatcher
from safeschool.engine import PolicyHolder, load_policy, write_snapshot
from tests.daemons.conftest import policy_data


def _wait_for(condition: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_an_unexpected_error_while_reloading_is_retried_not_fatal(
    policy_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = PolicyHolder(policy_file, load_policy(policy_file))
    watcher = PolicyWatcher(holder, interval=0.02)
    real_reload = holder.reload
    failures = [1]

    def reload_once_broken() -> bool:
        if failures:
            failures.pop()
            raise RuntimeError("disk hiccup")
        return real_reload()

    monkeypatch.setattr(holder, "reload", reload_once_broken)
    watcher.start()
    try:
        updated = tmp_path / "updated.json"
        write_snapshot(policy_data(extra_adult=["newly-bad.test"]), updated)
        updated.replace(policy_file)  # published atomically, as the web app does
        assert _wait_for(lambda: watcher.reloads == 1)
        assert not failures
        assert holder.policy is not None
        assert holder.policy.decide("http://newly-bad.test/", "127.0.0.1").action == "block"
    finally:
        watcher.stop()
