"""Benchmark: the SafeSchool filter engine beside squidGuard on the same 1,000,000-domain list.

Run from the repository root:

    python benchmarks/engine_bench.py                     # 1,000,000 domains, 300,000 requests
    python benchmarks/engine_bench.py --domains 100000    # quicker

Both programs get the same squidGuard.conf, the same list and the same request lines, and both
run as child processes so that their CPU time and peak memory are measured the same way
(``os.wait4``). For each program it reports:

- load time: wall-clock seconds from start until ready (squidGuard reading the text list into
  memory; squidGuard opening prebuilt ``.db`` files, after ``squidGuard -C all`` built them,
  whose time is shown separately; the engine reading the text list);
- resident memory: peak resident set size of the process (``ru_maxrss``); for the engine
  also the resident size after loading (``VmRSS``), since loading has a transient peak;
- decisions per CPU-second: requests divided by the user+system CPU time spent answering them
  (the CPU time of a one-request run, i.e. start-up and loading, is subtracted).

The engine answers as SafeSchool's url_rewrite helper does (`SquidHelper.answer_block`, the
code ``safeschool squid-helper`` runs, without pipes and without its event log): blocks of
request lines in, ``OK ...``/``ERR`` lines out, with the helper's memory of per-site answers.
The rate of bare ``Policy.decide()`` calls, one per request, is printed too. Two request
streams are used: "realistic" (hosts drawn with a Zipf-like popularity from a working set of
20,000, as real browsing repeats hosts) and "distinct" (every request a different host: the
worst case for any cache).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SQUIDGUARD = "/usr/bin/squidGuard"
GNU_TIME = "/usr/bin/time"
TLDS = ["com", "net", "org", "co.uk", "info", "io", "de", "fr", "nl", "uk"]
BLOCK_PAGE = "http://blocked.invalid/?t=%t&s=%s&u=%u"
BLOCK_LINES = 50  # lines answered together, as a helper reads them from Squid under load


def make_lists(work: Path, count: int, seed: int) -> list[str]:
    """Write ``count`` unique two-label domains (deterministic) and a squidGuard.conf."""
    rng = random.Random(seed)
    alphabet = string.ascii_lowercase + string.digits
    seen: set[str] = set()
    while len(seen) < count:
        name = "".join(rng.choices(alphabet, k=rng.randint(6, 14))) + "." + rng.choice(TLDS)
        seen.add(name)
    domains = sorted(seen)
    rng.shuffle(domains)
    db = work / "db" / "bench"
    db.mkdir(parents=True, exist_ok=True)
    (db / "domains").write_text("\n".join(domains) + "\n")
    (work / "log").mkdir(exist_ok=True)
    (work / "squidGuard.conf").write_text(
        f"dbhome {work / 'db'}\nlogdir {work / 'log'}\n\n"
        "dest bench {\n\tdomainlist bench/domains\n}\n\n"
        "acl {\n\tdefault {\n\t\tpass !bench all\n"
        f"\t\tredirect {BLOCK_PAGE}\n\t}}\n}}\n"
    )
    return domains


def _host(rng: random.Random, domains: list[str]) -> str:
    """A blocked host (listed or a subdomain of one) or an allowed one (look-alike or new)."""
    domain = rng.choice(domains)
    roll = rng.random()
    if roll < 0.2:
        return domain
    if roll < 0.4:
        return f"www.{domain}"
    if roll < 0.5:
        return f"cdn{rng.randrange(9)}.img.{domain}"
    if roll < 0.75:
        return f"not{domain}"
    return f"{rng.choice(['www.', 'api.', ''])}site{rng.randrange(10**9)}.example.com"


def make_requests(work: Path, domains: list[str], count: int, seed: int) -> dict[str, Path]:
    """Write the two request streams as Squid would send them to a url_rewrite helper."""
    rng = random.Random(seed)
    working_set = [_host(rng, domains) for _ in range(20_000)]
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(working_set))]
    streams = {
        "realistic": rng.choices(working_set, weights=weights, k=count),
        "distinct": [_host(rng, domains) for _ in range(count)],
    }
    paths = {}
    for name, hosts in streams.items():
        path = work / f"requests-{name}.txt"
        with path.open("w") as out:
            for i, host in enumerate(hosts):
                client = f"10.{i % 4}.{i % 250}.{i % 200 + 1}"
                out.write(f"http://{host}/page{i % 97}.html {client}/- - GET\n")
        paths[name] = path
    return paths


def run_child(argv: list[str], stdin: Path | None) -> dict[str, float | str]:
    """Run a process to completion; return its wall time, CPU time, peak RSS and stderr.

    The process is started through GNU time, whose small process is the parent: a child forked
    straight from this (large) Python process would inherit its resident size in ru_maxrss.
    """
    report = Path(tempfile.mkstemp(prefix="bench-time-")[1])
    timed = [GNU_TIME, "-o", str(report), "-f", "%e %U %S %M", *argv]
    with stdin.open("rb") if stdin else open(os.devnull, "rb") as inp:
        proc = subprocess.run(
            timed, stdin=inp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
    fields = report.read_text().split()[-4:]
    report.unlink()
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    wall, user, system, maxrss_kb = (float(f) for f in fields)
    return {
        "wall": wall,
        "cpu": user + system,
        "maxrss_mb": maxrss_kb / 1024,
        "stderr": proc.stderr.decode(errors="replace"),
    }


def bench_squidguard(work: Path, streams: dict[str, Path]) -> dict[str, float]:
    conf = str(work / "squidGuard.conf")
    one = work / "one-request.txt"
    one.write_text("http://example.com/ 10.0.0.1/- - GET\n")
    out: dict[str, float] = {}
    text = run_child([SQUIDGUARD, "-c", conf], one)
    out["load_text_s"], out["rss_text_mb"] = float(text["wall"]), float(text["maxrss_mb"])
    built = run_child([SQUIDGUARD, "-c", conf, "-C", "all"], None)
    out["db_build_s"] = float(built["wall"])
    start = run_child([SQUIDGUARD, "-c", conf], one)
    out["load_db_s"] = float(start["wall"])
    for name, path in streams.items():
        run = run_child([SQUIDGUARD, "-c", conf], path)
        out[f"cpu_{name}"] = float(run["cpu"]) - float(start["cpu"])
        out[f"rss_{name}_mb"] = float(run["maxrss_mb"])
    return out


def bench_engine(work: Path, streams: dict[str, Path]) -> dict[str, float]:
    conf = str(work / "squidGuard.conf")
    out: dict[str, float] = {}
    for name, path in streams.items():
        run = run_child([sys.executable, __file__, "--child", conf, str(path)], None)
        child = json.loads(str(run["stderr"]).strip().splitlines()[-1])
        out["load_s"] = child["load_s"]
        out["rss_after_load_mb"] = child["rss_after_load_mb"]
        out["baseline_mb"] = child["baseline_mb"]
        out[f"cpu_{name}"] = child["helper_cpu"]
        out[f"decide_cpu_{name}"] = child["decide_cpu"]
        out[f"rss_{name}_mb"] = float(run["maxrss_mb"])
        out["requests"] = child["requests"]
    return out


def child_main(conf: str, requests_path: str) -> None:
    """Inside the engine child: load, answer the requests like a helper, report JSON on stderr.

    Requests are streamed from the file (as a helper reads stdin), so the request stream does
    not inflate the memory figures.
    """
    sys.path.insert(0, str(ROOT))
    from safeschool.daemons.squidhelper import SquidHelper
    from safeschool.engine import PolicyHolder, load_policy
    from safeschool.eventlog import NullLog

    baseline_mb = _status_kb("VmRSS") / 1024
    start = time.perf_counter()
    policy = load_policy(conf)
    load_s = time.perf_counter() - start
    rss_after_load = _status_kb("VmRSS") / 1024
    helper = SquidHelper(PolicyHolder(conf, policy), NullLog())
    write = sys.stdout.buffer.write
    count = 0
    cpu = time.process_time()
    with open(requests_path, "rb") as requests:
        while True:
            block = b"".join(islice(requests, BLOCK_LINES))
            if not block:
                break
            write(helper.answer_block(block))
            count += block.count(b"\n")
    sys.stdout.flush()
    helper_cpu = time.process_time() - cpu
    sys.stderr.write(
        json.dumps(
            {
                "load_s": load_s,
                "rss_after_load_mb": rss_after_load,
                "baseline_mb": baseline_mb,
                "helper_cpu": helper_cpu,
                "decide_cpu": _decide_only(policy, requests_path),
                "requests": count,
            }
        )
        + "\n"
    )


def _decide_only(policy: Any, requests_path: str) -> float:
    """CPU seconds spent in ``decide()`` alone, over the same requests in chunks."""
    total = 0.0
    decide = policy.decide
    with open(requests_path, encoding="utf-8") as requests:
        while True:
            chunk = [line.split(" ", 3) for _, line in zip(range(20_000), requests, strict=False)]
            if not chunk:
                return total
            args = [(url, client.partition("/")[0], user) for url, client, user, _ in chunk]
            cpu = time.process_time()
            for url, client, user in args:
                decide(url, client, user)
            total += time.process_time() - cpu


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def report(domains: int, sg: dict[str, float], en: dict[str, float]) -> None:
    n = en["requests"]
    per_million = 1_000_000 / domains
    print(f"\n{domains:,} domains, {int(n):,} requests per stream\n")
    print(f"{'':44}{'squidGuard 1.6':>16}{'SafeSchool':>14}{'ratio':>9}")
    print(
        f"{'load time, text list (s)':44}{sg['load_text_s']:16.2f}{en['load_s']:14.2f}"
        f"{sg['load_text_s'] / en['load_s']:8.1f}x"
    )
    print(f"{'squidGuard -C all .db build (s)':44}{sg['db_build_s']:16.2f}")
    print(f"{'load time, prebuilt .db (s)':44}{sg['load_db_s']:16.2f}")
    print(f"{'peak RSS, text-list load (MB)':44}{sg['rss_text_mb']:16.1f}")
    print(f"{'RSS after load (MB)':44}{'':16}{en['rss_after_load_mb']:14.1f}")
    for stream in ("realistic", "distinct"):
        sg_rate, en_rate = n / sg[f"cpu_{stream}"], n / en[f"cpu_{stream}"]
        decide_rate = n / en[f"decide_cpu_{stream}"]
        print(
            f"{'peak RSS, ' + stream + ' run (MB)':44}{sg[f'rss_{stream}_mb']:16.1f}"
            f"{en[f'rss_{stream}_mb']:14.1f}"
        )
        print(
            f"{'decisions per CPU-second, ' + stream:44}{sg_rate:16,.0f}{en_rate:14,.0f}"
            f"{en_rate / sg_rate:8.2f}x"
        )
        print(
            f"{'  engine decide() only, ' + stream:44}{'':16}{decide_rate:14,.0f}"
            f"{decide_rate / sg_rate:8.2f}x"
        )
    lists_mb = en["rss_after_load_mb"] - en["baseline_mb"]
    print(
        f"\nEngine memory for the lists (RSS after load minus RSS before, "
        f"{en['baseline_mb']:.1f} MB): {lists_mb:.1f} MB, "
        f"{lists_mb * per_million:.1f} MB per million domains"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--child", nargs=2, metavar=("CONF", "REQUESTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
        return
    if not Path(SQUIDGUARD).exists() or not Path(GNU_TIME).exists():
        raise SystemExit("needs squidGuard and GNU time (apt-get install squidguard time)")
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as temp:
        work = args.workdir or Path(temp)
        print(f"Generating {args.domains:,} domains and {args.requests:,} requests in {work} ...")
        domains = make_lists(work, args.domains, args.seed)
        streams = make_requests(work, domains, args.requests, args.seed + 1)
        del domains
        engine = bench_engine(work, streams)
        squidguard = bench_squidguard(work, streams)
        report(args.domains, squidguard, engine)


if __name__ == "__main__":
    main()
