"""DNS filter against dnsmasq: same 1,000,000-domain blocklist, same query mix, same machine.

    .venv/bin/python benchmarks/dns_bench.py [--domains 1000000] [--seconds 20] [--processes 2]
    .venv/bin/python benchmarks/dns_bench.py --fuzz 1000000      # the full fuzz run

The query mix is 40 % blocked names, 50 % allowed names (answered from the cache after their
first lookup) and 10 % safe-search names. Throughput is dnsperf's unlimited run; p99 latency is
a second dnsperf run at a fixed rate (`--rate`, the same for both) with per-query output.
Peak memory is the sum of each process's peak resident size (VmHWM), so pages the DNS
filter's workers share with the process that loaded the policy are counted once per process;
"in use" is the sum of the processes' proportional set sizes (shared pages split between
them) at the end of the run.
SafeSchool runs with event logging on (every query, allowed ones included). The upstream is a
small in-process resolver; it is only asked on cache misses.
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from safeschool.engine import write_snapshot  # noqa: E402
from tests.daemons.fakedns import FakeUpstream  # noqa: E402

SAFE = {
    "www.google.com": "216.239.38.120",
    "www.bing.com": "204.79.197.220",
    "www.youtube.com": "216.239.38.120",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_inputs(work: Path, domains: int) -> tuple[Path, Path, Path]:
    """The blocklist, the snapshot for SafeSchool, the dnsmasq configuration, the queries."""
    names = [f"b{i:07d}.blocked{i % 50}.test" for i in range(domains)]
    (work / "blocklist.txt").write_text("\n".join(names) + "\n")
    snapshot = {
        "format": "safeschool-policy",
        "version": 1,
        "redirect": "302:http://127.0.0.1/blocked?url=%u",
        "categories": {"blocked": {"sources": [{"type": "domains", "path": "blocklist.txt"}]}},
        "groups": [
            {
                "name": "everyone",
                "addresses": ["0.0.0.0/0"],
                "categories": [{"name": "blocked"}],
                "safe_search": {"google": True, "bing": True, "youtube": "strict"},
            }
        ],
    }
    write_snapshot(snapshot, work / "policy.json")
    lines = [f"address=/{name}/127.0.0.1" for name in names]
    lines += [f"address=/{name}/{address}" for name, address in SAFE.items()]
    (work / "dnsmasq-blocklist.conf").write_text("\n".join(lines) + "\n")
    rng = random.Random(7)
    queries = []
    for index in range(20_000):
        pick = index % 10
        if pick < 4:
            queries.append(f"{rng.choice(names)} A")
        elif pick < 9:
            queries.append(f"a{rng.randrange(2000)}.allowed.test A")
        else:
            queries.append(f"{rng.choice(list(SAFE))} A")
    rng.shuffle(queries)
    (work / "queries.txt").write_text("\n".join(queries) + "\n")
    return work / "policy.json", work / "dnsmasq-blocklist.conf", work / "queries.txt"


def peak_memory_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+)", status)
        total += int(found.group(1)) if found else 0
    return total


def proportional_memory_kib(pids: list[int]) -> int:
    """Memory in use now, with each page shared between processes split between them (PSS)."""
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        found = re.search(r"^Pss:\s+(\d+)", rollup, re.M)
        total += int(found.group(1)) if found else 0
    return total


def children_of(pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in result.stdout.split()]


def wait_for_dns(port: int, seconds: float = 300) -> None:
    """Until a query is answered (loading a million domains takes a while)."""
    query = bytes.fromhex("abcd01000001000000000000") + b"\x04test\x00\x00\x01\x00\x01"
    deadline = time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        while time.monotonic() < deadline:
            sock.sendto(query, ("127.0.0.1", port))
            try:
                sock.recv(512)
                return
            except TimeoutError:
                continue
    raise RuntimeError(f"nothing answered on port {port}")


def dnsperf(port: int, queries: Path, seconds: int, rate: int | None = None) -> str:
    command = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", str(queries)]
    command += ["-l", str(seconds), "-c", "4", "-t", "2"]
    if rate:
        command += ["-Q", str(rate), "-v"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def throughput(report: str) -> float:
    found = re.search(r"Queries per second:\s+([\d.]+)", report)
    return float(found.group(1)) if found else 0.0


def lost(report: str) -> str:
    found = re.search(r"Queries lost:\s+(.*)", report)
    return found.group(1).strip() if found else "?"


def p99_ms(report: str) -> float:
    latencies = sorted(
        float(match.group(1)) for match in re.finditer(r"^> \S+ .* ([\d.]+)$", report, re.M)
    )
    if not latencies:
        return float("nan")
    return latencies[int(len(latencies) * 0.99) - 1] * 1000


def measure(
    name: str, command: list[str], port: int, args: argparse.Namespace, queries: Path
) -> dict[str, float | str]:
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_dns(port)
        load_seconds = time.monotonic() - started
        dnsperf(port, queries, 3)  # warm the caches
        report = dnsperf(port, queries, args.seconds)
        latency = dnsperf(port, queries, 5, rate=args.rate)
        pids = [process.pid, *children_of(process.pid)]
        memory = peak_memory_kib(pids)
        in_use = proportional_memory_kib(pids)
    finally:
        process.terminate()
        process.wait(timeout=30)
    result: dict[str, float | str] = {
        "qps": throughput(report),
        "lost": lost(report),
        "p99_ms": p99_ms(latency),
        "peak_mib": memory / 1024,
        "pss_mib": in_use / 1024,
        "start_s": load_seconds,
    }
    print(
        f"{name:12} {result['qps']:>10.0f} q/s  lost {result['lost']:<16} "
        f"p99 {result['p99_ms']:.2f} ms at {args.rate} q/s  peak memory "
        f"{result['peak_mib']:.0f} MiB (in use at the end {result['pss_mib']:.0f} MiB PSS)  "
        f"ready after {load_seconds:.1f} s",
        flush=True,
    )
    return result


def run_benchmark(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as temp, FakeUpstream() as upstream:
        work = Path(temp)
        print(f"Building {args.domains:,} blocked domains…", flush=True)
        policy, dnsmasq_conf, queries = make_inputs(work, args.domains)
        up = f"127.0.0.1:{upstream.port}"
        ours_port, theirs_port = free_port(), free_port()
        ours = [
            str(Path(sys.executable).parent / "safeschool"),
            "dns",
            "--listen",
            f"127.0.0.1:{ours_port}",
            "--upstream",
            up,
            "--policy",
            str(policy),
            "--spool",
            str(work / "spool"),
            "--processes",
            str(args.processes),
        ]
        theirs = [
            "dnsmasq",
            "-k",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            f"--port={theirs_port}",
            f"--server=127.0.0.1#{upstream.port}",
            f"--conf-file={dnsmasq_conf}",
            "--cache-size=10000",
            "--user=root",
            "--pid-file=",
        ]
        a = measure("safeschool", ours, ours_port, args, queries)
        b = measure("dnsmasq", theirs, theirs_port, args, queries)
        spooled = sum(p.stat().st_size for p in (work / "spool").glob("*"))
        print(f"event log written by SafeSchool: {spooled / 1e6:.1f} MB")
        print(
            f"ratio safeschool/dnsmasq: {float(a['qps']) / max(float(b['qps']), 1):.2f}× "
            f"queries per second (target ≥ 1.00×)"
        )


def run_fuzz(count: int) -> None:
    """Random and mutated packets straight into the filter's core; then a sample by socket."""
    from safeschool.daemons.dnscache import ReplyCache
    from safeschool.daemons.dnsfilter import DnsFilter
    from safeschool.engine import PolicyHolder, load_policy
    from safeschool.eventlog import NullLog
    from tests.daemons.conftest import policy_data
    from tests.daemons.fuzz import packets

    with tempfile.TemporaryDirectory() as temp:
        path = Path(temp) / "policy.json"
        write_snapshot(policy_data(), path)
        core = DnsFilter(PolicyHolder(path, load_policy(path)), ReplyCache(), NullLog())
        started = time.monotonic()
        answered = 0
        answer = core.burst().answer
        for index, packet in enumerate(packets(count, seed=11)):
            if not index % 64:  # as the UDP loop does: the clocks are read once per burst
                answer = core.burst().answer
            reply = answer(packet, "127.0.0.1")
            answered += isinstance(reply, bytes)
        print(
            f"fuzz: {count:,} packets, {answered:,} answered, no crash, "
            f"{time.monotonic() - started:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domains", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rate", type=int, default=10_000, help="q/s for the latency run")
    parser.add_argument("--fuzz", type=int, default=0, help="fuzz with this many packets")
    args = parser.parse_args()
    if args.fuzz:
        run_fuzz(args.fuzz)
    else:
        run_benchmark(args)


if __name__ == "__main__":
    main()
