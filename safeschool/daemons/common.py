"""What both daemons share: loading and watching the policy, and opening the event log."""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

from safeschool.engine import PolicyError, PolicyHolder, load_policy
from safeschool.eventlog import EventLog, NullLog

log = logging.getLogger("safeschool.daemons")
REPO_DIR = Path(__file__).resolve().parent.parent.parent


def default_spool_dir() -> Path:
    """SAFESCHOOL_SPOOL_DIR, else `spool` in SAFESCHOOL_DATA_DIR (as the web app reads it)."""
    configured = os.environ.get("SAFESCHOOL_SPOOL_DIR", "").strip()
    if configured:
        return Path(configured)
    data = os.environ.get("SAFESCHOOL_DATA_DIR", "").strip() or str(REPO_DIR / "var")
    return Path(data) / "spool"


def system_resolver(resolv_conf: str = "/etc/resolv.conf") -> str:
    """The first name server in resolv.conf, else 127.0.0.1:53."""
    try:
        lines = Path(resolv_conf).read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            return f"[{parts[1]}]:53" if ":" in parts[1] else f"{parts[1]}:53"
    return "127.0.0.1:53"


def env_flag(name: str, default: bool) -> bool:
    """A yes/no environment variable, read the way settings.py reads them."""
    raw = os.environ.get(name, "").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    return default


def setup_logging(level: str | None = None) -> None:
    """Messages to standard error, at SAFESCHOOL_LOG_LEVEL (INFO by default for daemons)."""
    name = level or os.environ.get("SAFESCHOOL_LOG_LEVEL", "").strip() or "INFO"
    logging.basicConfig(
        stream=sys.stderr, level=name.upper(), format="%(asctime)s %(name)s: %(message)s"
    )


def open_policy(path: str) -> PolicyHolder:
    """Load the policy once, or raise PolicyError with a message naming the problem."""
    return PolicyHolder(path, load_policy(path))


def open_event_log(spool: Path | None, stream: str) -> EventLog | NullLog:
    """The batching event log, or a sink that discards events when logging is off."""
    return NullLog() if spool is None else EventLog(spool, stream)


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        info = Path(path).stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


class PolicyWatcher:
    """Reloads the policy when its file is replaced; the old one serves until the new is ready.

    The web app publishes snapshots atomically (write, then rename), so a changed inode or
    modification time means a whole new file. A file that fails to load is reported and the
    previous policy stays in force.
    """

    def __init__(self, holder: PolicyHolder, interval: float = 1.0) -> None:
        self.holder = holder
        self.interval = interval
        self.reloads = 0
        self._seen = _signature(str(holder.path))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="policy-watcher", daemon=True)

    def start(self) -> PolicyWatcher:
        """Start watching in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()

    def check(self) -> bool:
        """Reload if the file changed since last seen. True when a new policy came into force."""
        current = _signature(str(self.holder.path))
        if current is None or current == self._seen:
            return False
        loaded = self.holder.reload()  # if this raises, the file is tried again next time
        self._seen = current
        if loaded:
            self.reloads += 1
            log.info("policy reloaded from %s", self.holder.path)
            return True
        log.error("policy not reloaded, previous one still in force: %s", self.holder.last_error)
        return False

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except (PolicyError, OSError) as exc:  # never let the watcher die
                log.error("policy watcher: %s", exc)
            except Exception:  # nor on anything unforeseen: say so and keep watching
                log.exception("policy watcher: unexpected error; the policy in force is kept")
