from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from safeschool.accounts.models import User
from safeschool.audit import services as audit
from safeschool.core import demo
from safeschool.core.management.commands.seed_demo import print_demo_logins


class Command(BaseCommand):
    help = "Prepare the database and start SafeSchool's web app."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Seed the invented demo schools if they are not there yet.",
        )
        parser.add_argument("--host", default=os.environ.get("SAFESCHOOL_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("SAFESCHOOL_PORT", "8000"))
        )
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-dns", action="store_true", help="Do not start the DNS filter.")
        parser.add_argument("--no-ingest", action="store_true", help="Do not start ingest.")
        parser.add_argument("--dns-listen", default=settings.DNS_LISTEN)
        parser.add_argument("--dns-upstream", default=settings.DNS_UPSTREAM)

    def handle(self, *args: Any, **options: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if options["demo"]:
            self._demo()
            # The demo's filters serve Oakfield, whose published policy they load.
            settings.FILTER_SCHOOL = settings.FILTER_SCHOOL or "oakfield"
        elif not User.objects.exists():
            self._first_administrator()
        from safeschool.filterlog import children

        started = children.start(
            not options["no_dns"],
            not options["no_ingest"],
            options["dns_listen"],
            options["dns_upstream"],
        )
        try:
            self._serve(options["host"], options["port"], options["threads"])
        except KeyboardInterrupt:
            pass
        finally:
            children.stop(started)

    def _serve(self, host: str, port: int, threads: int) -> None:
        from waitress import serve

        from safeschool.wsgi import application

        self.stdout.write(f"SafeSchool is at http://{host}:{port}/ (press Ctrl+C to stop)")
        self.stdout.flush()
        serve(application, host=host, port=port, threads=threads, ident="SafeSchool")

    def _demo(self) -> None:
        if not demo.is_seeded():
            try:
                demo.seed()
            except RuntimeError as error:
                raise CommandError(str(error)) from None
            self.stdout.write("Demo schools created.")
        print_demo_logins(self.stdout.write)

    def _first_administrator(self) -> None:
        username = os.environ.get("SAFESCHOOL_ADMIN_USERNAME", "")
        password = os.environ.get("SAFESCHOOL_ADMIN_PASSWORD", "")
        email = os.environ.get("SAFESCHOOL_ADMIN_EMAIL", "")
        if not (username and password):
            if not sys.stdin.isatty():
                raise CommandError(
                    "There are no accounts yet. Set SAFESCHOOL_ADMIN_USERNAME and "
                    "SAFESCHOOL_ADMIN_PASSWORD, or run this in a terminal to be asked."
                )
            self.stdout.write("There are no accounts yet. Create the first administrator.")
            username = input("User name: ").strip()
            email = input("E-mail address: ").strip()
            password = getpass.getpass("Password (at least 12 characters): ")
        create_administrator(username, email, password)
        self.stdout.write(f"Administrator {username} created.")


@transaction.atomic
def create_administrator(username: str, email: str, password: str) -> User:
    """The first account: a superuser who sets up schools and grants roles."""
    if not username:
        raise CommandError("The administrator needs a user name.")
    user = User(username=username, email=email)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from None
    user = User.objects.create_superuser(username, email, password)
    audit.record("user.created", subject=user, data={"administrator": True})
    return user
