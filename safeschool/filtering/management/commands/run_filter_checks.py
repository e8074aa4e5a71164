from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safeschool.filtering.checks import run_checks_command


class Command(BaseCommand):
    help = (
        "Run the filtering checks for a school (for cron). Exits 1 if any check fails, "
        "2 if there is no such school."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        status = run_checks_command(options["school"], self.stdout)
        if status:
            raise SystemExit(status)
