from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from safeschool.filtering.reviews import send_review_reminders


class Command(BaseCommand):
    help = (
        "Remind each school's DSL and headteacher, once per due date, when the annual "
        "filtering and monitoring review is due within 30 days or overdue (for cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_review_reminders()
        self.stdout.write(f"Sent {sent} review reminder{'s' if sent != 1 else ''}.")
