from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeschool.filterlog.ingest import ingest_once
from safeschool.schools.models import School


class Command(BaseCommand):
    help = "Load the filter daemons' event log into the database (again and again, or --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then stop")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="seconds between passes (0.5)"
        )
        parser.add_argument("--spool", type=Path, default=None)
        parser.add_argument("--school", default=settings.FILTER_SCHOOL, help="school slug")

    def handle(self, *args: Any, **options: Any) -> None:
        spool = options["spool"] or settings.SPOOL_DIR
        school = self._school(options["school"])
        if options["once"]:
            stats = ingest_once(spool, school)
            self.stdout.write(f"Ingested {stats.events} events.")
            return
        running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while running:
            ingest_once(spool, school)
            deadline = time.monotonic() + options["interval"]
            while running and time.monotonic() < deadline:
                time.sleep(0.1)

    @staticmethod
    def _school(slug: str) -> School | None:
        if not slug:
            return None
        try:
            return School.objects.get(slug=slug)
        except School.DoesNotExist:
            raise CommandError(f"There is no school {slug!r}.") from None
