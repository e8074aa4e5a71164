"""Helpers to run the real squidGuard beside the engine on the same configuration and lists."""

from __future__ import annotations

import random
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

SQUIDGUARD = shutil.which("squidGuard") or "/usr/bin/squidGuard"
HAVE_SQUIDGUARD = Path(SQUIDGUARD).exists()
BLOCK_PAGE = "http://blocked.invalid/?s=%s&t=%t&a=%a&i=%i&u=%u"


def run_squidguard(conf: Path, requests: list[str], when: datetime) -> list[str]:
    """Feed request lines to squidGuard emulating ``when``; return its answer lines."""
    proc = subprocess.run(
        [SQUIDGUARD, "-d", "-c", str(conf), "-t", when.strftime("%Y-%m-%dT%H:%M:%S")],
        input="".join(line + "\n" for line in requests),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # -d sends squidGuard's log to stderr; a configuration error makes it pass everything.
    assert "emergency mode" not in proc.stderr, f"squidGuard refused the config:\n{proc.stderr}"
    answers = proc.stdout.splitlines()
    assert len(answers) == len(requests), (proc.stdout, proc.stderr)
    return answers


def squidguard_answer(line: str) -> tuple[bool, str | None]:
    """(blocked?, redirect URL) from one squidGuard answer line."""
    if not line.startswith("OK"):
        return False, None
    value = line.split("url=", 1)[1].strip().strip('"')
    return True, value


WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
]
TLDS = ["com", "net", "org", "co.uk", "io", "info"]


@dataclass
class World:
    """A generated set of lists, squidGuard.conf and the requests to try."""

    root: Path
    conf: Path
    domains: dict[str, list[str]] = field(default_factory=dict)
    urls: dict[str, list[str]] = field(default_factory=dict)


def _fresh_domain(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(WORDS)}{rng.randrange(1000)}.{rng.choice(TLDS)}"
        if rng.random() < 0.3:
            name = f"{rng.choice(WORDS)}.{name}"
        if name not in used and not any(
            name.endswith("." + u) or u.endswith("." + name) for u in used
        ):
            used.add(name)
            return name


def build_world(
    root: Path, rng: random.Random, conf_text: str, categories: list[str], per_category: int = 40
) -> World:
    """Write lists for ``categories`` (no entry nested inside another of the same list) and
    a squidGuard.conf from ``conf_text`` (``{dbhome}``, ``{logdir}`` and ``{block}`` filled)."""
    db = root / "db"
    (root / "log").mkdir(parents=True, exist_ok=True)
    world = World(root, root / "squidGuard.conf")
    used: set[str] = set()
    for cat in categories:
        (db / cat).mkdir(parents=True, exist_ok=True)
        domains = [_fresh_domain(rng, used) for _ in range(per_category)]
        urls = [
            f"{_fresh_domain(rng, used)}/{rng.choice(WORDS)}/{rng.choice(WORDS)}"
            for _ in range(per_category // 4)
        ]
        world.domains[cat], world.urls[cat] = domains, urls
        (db / cat / "domains").write_text("\n".join(domains) + "\n")
        (db / cat / "urls").write_text("\n".join(urls) + "\n")
        (db / cat / "expressions").write_text(f"{cat}word[0-9]+\n")
    world.conf.write_text(conf_text.format(dbhome=db, logdir=root / "log", block=BLOCK_PAGE))
    return world


def _decorate_host(rng: random.Random, host: str) -> str:
    roll = rng.random()
    if roll < 0.08:
        return host.upper()
    if roll < 0.14:
        return host + "."
    if roll < 0.2:
        return host + ":8080"
    return host


def _host_variant(rng: random.Random, world: World) -> str:
    cat = rng.choice(list(world.domains))
    domain = rng.choice(world.domains[cat])
    roll = rng.random()
    if roll < 0.25:
        return domain
    if roll < 0.5:
        return f"{rng.choice(WORDS)}.{domain}"
    if roll < 0.6:
        return f"www.{domain}"
    if roll < 0.68:
        return f"not{domain}"
    if roll < 0.76:
        return f"{domain}x"
    if roll < 0.84:
        return domain.rsplit(".", 1)[0] + ".biz"
    if roll < 0.9:
        return f"a.b.{domain}"
    return f"{rng.choice(WORDS)}{rng.randrange(9999)}.example"


def _url_variant(rng: random.Random, world: World) -> str:
    cat = rng.choice(list(world.urls))
    entry = rng.choice(world.urls[cat])
    host, _, path = entry.partition("/")
    roll = rng.random()
    if roll < 0.3:
        return f"{_decorate_host(rng, host)}/{path}"
    if roll < 0.45:
        return f"www.{host}/{path}/more?x=1"
    if roll < 0.55:
        return f"www2.{host}/{path}x"
    if roll < 0.7:
        return f"{host}/{path.split('/')[0]}/other"
    if roll < 0.8:
        return f"sub.{host}/{path}"
    return f"{host}/{path.upper()}"


def make_requests(
    rng: random.Random, world: World, count: int, clients: list[str], users: list[str]
) -> list[tuple[str, str, str]]:
    """``count`` (url, client, user) triples over hosts, subdomains, look-alikes and URLs."""
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.55:
            host = _decorate_host(rng, _host_variant(rng, world))
            if rng.random() < 0.1 and ":" not in host and not host.endswith("."):
                # (squidGuard does not strip a trailing dot from CONNECT targets: a known bug.)
                url = f"{host}:443"
            else:
                url = f"{rng.choice(['http', 'https'])}://{host}/{rng.choice(WORDS)}"
        elif roll < 0.85:
            url = f"http://{_url_variant(rng, world)}"
        elif roll < 0.93:
            cat = rng.choice(list(world.domains))
            url = f"http://site{rng.randrange(99)}.example/{cat}word{rng.randrange(99)}"
        else:
            url = f"http://{rng.randrange(1, 223)}.{rng.randrange(256)}.0.{rng.randrange(256)}/"
        out.append((url, rng.choice(clients), rng.choice(users)))
    return out


def request_line(url: str, client: str, user: str) -> str:
    """The line Squid would send to squidGuard for this request."""
    method = "CONNECT" if "://" not in url else "GET"
    return f"{url} {client}/- {user} {method}"
