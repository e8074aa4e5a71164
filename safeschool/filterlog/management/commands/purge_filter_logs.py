from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from safeschool.filterlog.retention import purge_command


class Command(BaseCommand):
    help = (
        "Remove filter log rows older than SAFESCHOOL_FILTER_LOG_RETENTION_DAYS "
        "(run daily from cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        status = purge_command(self.stdout)
        if status:
            raise CommandError("The purge did not finish.", returncode=status)
