"""Time from an event appended to the spool to its alert existing in the database.

The real pipeline runs: the daemons' batching event-log writer (in this process), the real
`safeschool ingest` worker (a child process, default settings), and the database (SQLite in a
temporary data directory, or PostgreSQL when DATABASE_URL is set). Each event is a search by a
different pupil account, so each raises its own alert; the benchmark polls for each alert and
prints the latency percentiles. Target: p99 under 2 seconds.

There is no peer program doing this job to run beside it; the figure stands alone.

    .venv/bin/python benchmarks/monitor_latency.py [--events 300] [--gap 0.03]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--gap", type=float, default=0.03, help="seconds between events")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="safeschool-latency-"))
    os.environ["SAFESCHOOL_DATA_DIR"] = str(data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeschool.settings")
    env = {**os.environ}
    subprocess.run(
        [BIN / "safeschool", "seed-demo"], check=True, env=env, stdout=subprocess.DEVNULL
    )
    import django

    django.setup()
    from safeschool.eventlog import EventLog
    from safeschool.monitoring.models import Alert

    spool = data / "spool"
    worker = subprocess.Popen(
        [BIN / "safeschool", "ingest", "--spool", str(spool), "--school", "oakfield"], env=env
    )
    log = EventLog(spool, "bench")
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    # The poller runs while events are still being sent, so each alert is seen when it lands.
    poller = threading.Thread(target=_collect, args=(Alert, args.events, seen, time.time() + 120))
    poller.start()
    try:
        for i in range(args.events):
            user = f"latency-{i}"
            sent[user] = time.time()
            log.append(
                {
                    "t": sent[user],
                    "src": "squid",
                    "action": "rewrite",
                    "rule": "safe-search",
                    "client": "10.2.0.15",
                    "user": user,
                    "host": "www.google.com",
                    "terms": "how to kill myself",
                    "url": "http://www.google.com/search?q=how+to+kill+myself",
                }
            )
            time.sleep(args.gap)
        poller.join()
    finally:
        log.close()
        worker.terminate()
        worker.wait(timeout=30)
    _report([seen[name] - sent[name] for name in seen], args.events)
    return 0


def _collect(alert_model: type, expected: int, seen: dict[str, float], deadline: float) -> None:
    from django.db import connection

    alerts = alert_model.objects.filter(username__startswith="latency-")  # type: ignore[attr-defined]
    while len(seen) < expected and time.time() < deadline:
        now = time.time()
        for name in alerts.exclude(username__in=list(seen)).values_list("username", flat=True):
            seen[name] = now
        time.sleep(0.01)
    connection.close()


def _report(latencies: list[float], expected: int) -> None:
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    print(f"events sent          {expected}")
    print(f"alerts found         {len(latencies)}")
    if latencies:
        print(f"latency mean         {statistics.mean(latencies) * 1000:7.0f} ms")
        print(f"latency p50          {pct(0.50) * 1000:7.0f} ms")
        print(f"latency p99          {pct(0.99) * 1000:7.0f} ms   (target < 2000 ms)")
        print(f"latency max          {latencies[-1] * 1000:7.0f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
