"""`safeschool filter history|fetch-sources|run-checks|purge-logs`.

(`safeschool filter decide` and `check-config` are the engine's own and run without Django.)
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeschool.filtering.models import BlocklistSource, Change
from safeschool.schools.models import School


class Command(BaseCommand):
    help = "Filtering from the command line: history, fetch-sources, run-checks, purge-logs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        history = sub.add_parser("history", help="Every change as JSON lines, oldest first.")
        history.add_argument("--school", required=True)
        fetch = sub.add_parser("fetch-sources", help="Fetch blocklists that are due (cron).")
        fetch.add_argument("--school", help="Only this school.")
        fetch.add_argument("--all", action="store_true", help="Fetch even if not yet due.")
        checks = sub.add_parser("run-checks", help="Run the filtering checks (cron).")
        checks.add_argument("--school", required=True)
        sub.add_parser("purge-logs", help="Remove filter logs older than the retention period.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "history":
            self._history(options["school"])
        elif action == "fetch-sources":
            self._fetch(options.get("school"), options["all"])
        elif action == "run-checks":
            from safeschool.filtering.checks import run_checks_command

            code = run_checks_command(options["school"], self.stdout)
            if code:
                sys.exit(code)
        elif action == "purge-logs":
            from safeschool.filterlog.retention import purge_command

            code = purge_command(self.stdout)
            if code:
                sys.exit(code)

    def _school(self, slug: str) -> School:
        school = School.objects.filter(slug=slug).first()
        if school is None:
            raise CommandError(f"There is no school {slug!r}.")
        return school

    def _history(self, slug: str) -> None:
        school = self._school(slug)
        changes = (
            Change.objects.filter(school=school)
            .select_related("proposed_by", "decided_by", "version", "group")
            .order_by("proposed_at")
        )
        for change in changes:
            self.stdout.write(json.dumps(history_row(change), ensure_ascii=False))

    def _fetch(self, slug: str | None, everything: bool) -> None:
        from safeschool.filtering import sources

        found = BlocklistSource.objects.exclude(url="").select_related("school")
        if slug:
            found = found.filter(school=self._school(slug))
        failed = 0
        for source in found:
            if everything or sources.due(source):
                ok = sources.refresh(source)
                failed += not ok
                state = "updated" if ok else f"FAILED, last good copy kept: {source.last_error}"
                self.stdout.write(f"{source.school.slug} {source.name}: {state}")
        if failed:
            sys.exit(1)


def history_row(change: Change) -> dict[str, Any]:
    return {
        "id": str(change.pk),
        "change": change.summary,
        "kind": change.kind,
        "group": change.group.name if change.group else None,
        "details": change.payload,
        "reason": change.reason,
        "risk_assessment": change.risk_assessment,
        "proposer": change.proposed_by.get_username(),
        "proposed_at": change.proposed_at.isoformat(),
        "status": change.status,
        "emergency": change.emergency,
        "approver": change.decided_by.get_username() if change.decided_by else None,
        "decided_at": change.decided_at.isoformat() if change.decided_at else None,
        "comment": change.decision_comment,
        "snapshot_version": change.version.number if change.version else None,
    }
