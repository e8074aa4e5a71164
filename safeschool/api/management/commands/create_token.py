from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from safeschool.accounts.models import User
from safeschool.api.models import ApiToken, hash_token
from safeschool.audit import services as audit
from safeschool.schools.models import School


class Command(BaseCommand):
    help = "Create an API token acting as USERNAME at one school, and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--school", help="The school's slug (needed if the user has several).")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user called {options['username']!r}.")
        schools = School.objects.filter(memberships__user=user).distinct()
        if options["school"]:
            schools = schools.filter(slug=options["school"])
        if schools.count() != 1:
            raise CommandError("Name the school with --school (the user must have a role there).")
        secret = ApiToken.new_secret()
        token = ApiToken.objects.create(
            user=user, school=schools[0], digest=hash_token(secret), prefix=secret[:8]
        )
        audit.record(
            "api.token_created", subject=user, school=schools[0], data={"token": str(token.pk)}
        )
        self.stdout.write(secret)
