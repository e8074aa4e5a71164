"""`safeschool dns`: the DNS filter. Django-free; see docs/daemons.md."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from safeschool.engine import PolicyError, PolicyHolder

from .common import (
    PolicyWatcher,
    default_spool_dir,
    env_flag,
    open_event_log,
    open_policy,
    setup_logging,
    system_resolver,
)
from .dnscache import ReplyCache
from .dnsfilter import BlockSettings, DnsFilter
from .dnsserver import TcpServer, UdpLoop, bind_sockets, parse_hostport

log = logging.getLogger("safeschool.dns")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safeschool dns", description=__doc__)
    env = os.environ.get
    parser.add_argument("--listen", default=env("SAFESCHOOL_DNS_LISTEN", "127.0.0.1:5353"))
    parser.add_argument("--upstream", default=env("SAFESCHOOL_DNS_UPSTREAM") or system_resolver())
    parser.add_argument("--policy", default=env("SAFESCHOOL_POLICY", ""), required=False)
    parser.add_argument("--spool", type=Path, default=None, help="event log directory")
    parser.add_argument("--no-event-log", action="store_true", help="write no events at all")
    parser.add_argument(
        "--no-log-allowed",
        action="store_true",
        default=not env_flag("SAFESCHOOL_LOG_ALLOWED", True),
        help="log only blocks and safe-search rewrites",
    )
    parser.add_argument(
        "--block-mode",
        choices=["address", "nxdomain"],
        default=env("SAFESCHOOL_DNS_BLOCK_MODE", "address"),
    )
    parser.add_argument("--block-ipv4", default=env("SAFESCHOOL_DNS_BLOCK_IPV4") or None)
    parser.add_argument("--block-ipv6", default=env("SAFESCHOOL_DNS_BLOCK_IPV6") or None)
    parser.add_argument("--timeout", type=float, default=2.0, help="upstream timeout (s)")
    parser.add_argument("--cache-size", type=int, default=100_000)
    parser.add_argument(
        "--processes",
        type=int,
        default=int(env("SAFESCHOOL_DNS_PROCESSES", "1")),
        help="worker processes sharing the sockets",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the DNS filter until SIGTERM or SIGINT."""
    args = build_parser().parse_args(argv)
    setup_logging()
    if not args.policy:
        print("safeschool dns: --policy (or SAFESCHOOL_POLICY) is required", file=sys.stderr)
        return 2
    try:
        holder = open_policy(args.policy)
        # Watching starts from the file just loaded, before anyone is told we are listening:
        # a policy published from then on is always picked up.
        watcher = PolicyWatcher(holder)
        upstream = parse_hostport(args.upstream)
        udp, tcp = bind_sockets(*parse_hostport(args.listen))
    except (PolicyError, OSError, ValueError) as exc:
        print(f"safeschool dns: {exc}", file=sys.stderr)
        return 1
    host, port = udp.getsockname()[:2]
    print(f"SafeSchool DNS filter listening on {host}:{port} (UDP and TCP)", flush=True)
    if args.processes <= 1:
        return _worker(args, holder, watcher, udp, tcp, upstream)
    return _supervise(args, holder, watcher, udp, tcp, upstream)


def _worker(
    args: argparse.Namespace,
    holder: PolicyHolder,
    watcher: PolicyWatcher,
    udp: socket.socket,
    tcp: socket.socket,
    upstream: tuple[str, int],
) -> int:
    """Serve in this process: UDP in the main thread, TCP and policy watching beside it."""
    # Background threads (event log, reloads) hand the interpreter back quickly, which keeps
    # the answer latency low while they work.
    sys.setswitchinterval(0.0005)
    spool = None if args.no_event_log else (args.spool or default_spool_dir())
    events = open_event_log(spool, "dns")
    block = BlockSettings(args.block_mode, args.block_ipv4, args.block_ipv6)
    dns = DnsFilter(
        holder,
        ReplyCache(args.cache_size),
        events,
        block=block,
        log_allowed=not args.no_log_allowed,
    )
    loop = UdpLoop(udp, upstream, dns, timeout=args.timeout)
    server = TcpServer(tcp, upstream, dns, timeout=args.timeout)
    watcher.start()
    threading.Thread(target=server.serve, name="dns-tcp", daemon=True).start()

    def stop(signum: int, frame: FrameType | None) -> None:
        loop.running = server.running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        loop.serve()
    finally:
        watcher.stop()
        events.close()
        udp.close()
        tcp.close()
    return 0


def _supervise(
    args: argparse.Namespace,
    holder: PolicyHolder,
    watcher: PolicyWatcher,
    udp: socket.socket,
    tcp: socket.socket,
    upstream: tuple[str, int],
) -> int:
    """Fork worker processes that share the sockets; stop them all on SIGTERM or SIGINT."""
    children = []
    for _ in range(args.processes):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _worker(args, holder, watcher, udp, tcp, upstream)
            finally:
                os._exit(code)
        children.append(pid)
    udp.close()
    tcp.close()

    def forward(signum: int, frame: FrameType | None) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return status
