"""The Squid helper against squidGuard: the same squidGuard.conf, lists and request lines.

    .venv/bin/python benchmarks/squid_helper_bench.py [--domains 100000] [--lines 100000]

Three ways of feeding lines, each timed after the program has loaded its lists:
- lockstep: one line, wait for its answer, the next (Squid without concurrency; the only way
  Squid can drive squidGuard, which does not understand channel IDs);
- concurrent: up to 100 lines in flight with channel IDs (Squid's `concurrency=100`), for
  SafeSchool only;
- stream: every line written at once (an upper bound; not how Squid talks to helpers).
CPU per line is the helper's user + system time during the timed part. SafeSchool writes its
event log (every request) throughout.

Two request mixes, the same for both programs:
- search-heavy: a quarter each of random blocked sites (almost every one different), Google
  searches (every one different, each rewritten by the `rew` rule and its terms logged), and
  two quarters of lessons on 5,000 school sites;
- browsing: page loads (a page and 1 to 12 resources from the same site) over 5,000 sites with
  Zipf-like popularity, a fifth of them blocked, and a Google search before 2 % of page loads.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
SG_CONF = """dbhome {work}/db
logdir {work}/log
dest adult {{
  domainlist adult/domains
}}
rew safesearch {{
  s@(google\\..*/search\\?.*q=.*)@\\1\\&safe=active@i
}}
acl {{
  default {{
    pass !adult all
    rewrite safesearch
    redirect 302:http://127.0.0.1:8000/blocked?url=%u&category=%t
  }}
}}
"""


def make_inputs(work: Path, domains: int, lines: int) -> tuple[Path, dict[str, list[bytes]]]:
    """The lists, the squidGuard.conf and two request mixes (see the module's description)."""
    (work / "db" / "adult").mkdir(parents=True)
    (work / "log").mkdir()
    names = [f"bad{i}.example{i % 40}.test" for i in range(domains)]
    (work / "db" / "adult" / "domains").write_text("\n".join(names) + "\n")
    conf = work / "squidGuard.conf"
    conf.write_text(SG_CONF.format(work=work))
    rng = random.Random(3)
    mixes = {
        "search-heavy": _search_heavy(rng, names, lines),
        "browsing": _browsing(rng, names, lines),
    }
    return conf, mixes


def _line(url: str, index: int) -> bytes:
    client = f"10.1.{index % 200}.{index % 250 + 1}"
    return f"{url} {client}/- - GET myip=10.0.0.1 myport=3128".encode()


def _search_heavy(rng: random.Random, names: list[str], lines: int) -> list[bytes]:
    """A quarter each: a random blocked site, a Google search, and two lessons on 5,000 sites."""
    requests = []
    for index in range(lines):
        kind = index % 4
        if kind == 0:
            url = f"http://www.{rng.choice(names)}/page{index}"
        elif kind == 1:
            url = f"http://www.google.com/search?q=homework+{index}"
        else:
            url = f"http://site{rng.randrange(5000)}.school.test/lesson/{index}"
        requests.append(_line(url, index))
    return requests


def _browsing(rng: random.Random, names: list[str], lines: int) -> list[bytes]:
    """Page loads: a page and its resources from one popular site (some sites blocked)."""
    sites = [f"site{i}.school.test" for i in range(4000)]
    sites += [f"www.{name}" for name in rng.sample(names, 1000)]
    rng.shuffle(sites)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(sites))]
    requests: list[bytes] = []
    index = 0
    while len(requests) < lines:
        site = rng.choices(sites, weights=weights)[0]
        user_index = rng.randrange(1000)
        if rng.random() < 0.02:
            query = f"http://www.google.com/search?q=homework+{index}"
            requests.append(_line(query, user_index))
        for part in range(rng.randint(1, 12)):
            requests.append(_line(f"http://{site}/assets/{index}/{part}.js", user_index))
        index += 1
    return requests[:lines]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start(command: list[str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"http://warm.up/ 10.0.0.1/- - GET\n")
    process.stdout.readline()  # the lists are loaded once this is answered
    return process


def lockstep(process: subprocess.Popen[bytes], lines: list[bytes]) -> None:
    assert process.stdin is not None and process.stdout is not None
    for line in lines:
        process.stdin.write(line + b"\n")
        process.stdout.readline()


def concurrent(process: subprocess.Popen[bytes], lines: list[bytes], window: int = 100) -> None:
    """Keep up to `window` requests in flight, as Squid with ``concurrency=100`` would.

    Like Squid, the driver writes whatever requests it has room for at once and reads answers
    as they come, in whatever pieces the pipe gives; it does not wait for one answer before
    sending the next request.
    """
    assert process.stdin is not None and process.stdout is not None
    free = threading.Semaphore(0)
    fd_out = process.stdout.fileno()

    def reader() -> None:
        total = 0
        while total < len(lines):
            chunk = os.read(fd_out, 1 << 16)
            if not chunk:
                raise RuntimeError("the helper stopped answering")
            count = chunk.count(b"\n")
            total += count
            free.release(count)

    thread = threading.Thread(target=reader)
    thread.start()
    fd_in = process.stdin.fileno()
    sent, room = 0, window
    while sent < len(lines):
        if not room:
            free.acquire()  # wait for an answer to free a slot
            room += 1
        while free.acquire(blocking=False):
            room += 1
        batch = lines[sent : sent + room]
        data = b"".join(b"%d %s\n" % ((sent + i) % window, line) for i, line in enumerate(batch))
        os.write(fd_in, data)
        sent += len(batch)
        room -= len(batch)
    thread.join()


def stream(process: subprocess.Popen[bytes], lines: list[bytes]) -> None:
    assert process.stdin is not None and process.stdout is not None
    writer = threading.Thread(target=process.stdin.write, args=(b"\n".join(lines) + b"\n",))
    writer.start()
    for _ in lines:
        process.stdout.readline()
    writer.join()


def timed(name: str, command: list[str], mode: str, lines: list[bytes]) -> tuple[float, float]:
    process = start(command)
    try:
        cpu, wall = cpu_seconds(process.pid), time.perf_counter()
        {"lockstep": lockstep, "concurrent": concurrent, "stream": stream}[mode](process, lines)
        wall, cpu = time.perf_counter() - wall, cpu_seconds(process.pid) - cpu
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=60)
    rate, per_line = len(lines) / wall, cpu / len(lines) * 1e6
    print(f"{name:11} {mode:10} {rate:>10.0f} lines/s  {per_line:6.2f} µs CPU per line", flush=True)
    return rate, per_line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        conf, mixes = make_inputs(work, args.domains, args.lines)
        ours = [
            str(Path(sys.executable).parent / "safeschool"),
            "squid-helper",
            "--policy",
            str(conf),
            "--spool",
            str(work / "spool"),
        ]
        theirs = ["squidGuard", "-c", str(conf)]
        for mix, lines in mixes.items():
            print(f"\n{mix} mix, {len(lines):,} lines", flush=True)
            sg_lock = timed("squidGuard", theirs, "lockstep", lines)
            sg_stream = timed("squidGuard", theirs, "stream", lines)
            ss_lock = timed("safeschool", ours, "lockstep", lines)
            ss_conc = timed("safeschool", ours, "concurrent", lines)
            ss_stream = timed("safeschool", ours, "stream", lines)
            print(
                f"as Squid drives each (SafeSchool concurrent / squidGuard lockstep): "
                f"{ss_conc[0] / sg_lock[0]:.2f}× lines per second, "
                f"{sg_lock[1] / ss_conc[1]:.2f}× less CPU per line (target ≥ 3×)"
            )
            print(
                f"both lockstep: {ss_lock[0] / sg_lock[0]:.2f}× lines per second, "
                f"{sg_lock[1] / ss_lock[1]:.2f}× less CPU per line; "
                f"both stream: {ss_stream[0] / sg_stream[0]:.2f}×, "
                f"{sg_stream[1] / ss_stream[1]:.2f}× less CPU per line"
            )


if __name__ == "__main__":
    main()
