from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from safeschool.core import demo


class Command(BaseCommand):
    help = "Create the invented demo trust, schools, people and log-ins (an empty database only)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        try:
            demo.seed()
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS("Demo schools created."))
        print_demo_logins(self.stdout.write)


def print_demo_logins(write: Any) -> None:
    write(f"Demo log-ins (password for all: {demo.DEMO_PASSWORD}):")
    for login in demo.DEMO_LOGINS:
        write(f"  {login.username:<14} {login.job_title} ({login.school_slug})")
