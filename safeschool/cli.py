"""`safeschool`: the single command-line entry point.

Every Django management command is available (`safeschool migrate`, `safeschool shell`…), as
are the project's own (`safeschool up`, `safeschool seed-demo`…). Commands written with hyphens
run the management command of the same name with underscores. The filter engine's commands
(`safeschool filter decide|check-config`, `safeschool monitor scan`) and the daemons run
without starting Django at all.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence

DJANGO_FREE = {
    ("filter", "decide"): "safeschool.engine.cli",
    ("filter", "check-config"): "safeschool.engine.cli",
    ("monitor", "scan"): "safeschool.engine.monitor_cli",
}
# The filter daemons never start Django: they must keep serving when the web app is down.
DAEMONS = {"dns": "safeschool.daemons.dns_main", "squid-helper": "safeschool.daemons.squid_main"}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if tuple(args[:2]) in DJANGO_FREE:
        engine_main: Callable[[list[str]], int] = importlib.import_module(
            DJANGO_FREE[(args[0], args[1])]
        ).main
        return engine_main(args[1:])
    if args and args[0] in DAEMONS:
        daemon_main: Callable[[list[str]], int] = importlib.import_module(DAEMONS[args[0]]).main
        return daemon_main(args[1:])
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeschool.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["safeschool", *args])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
