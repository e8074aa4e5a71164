from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from safeschool.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _attempt(client: Client, username: str, password: str) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


@pytest.mark.parametrize(
    "username",
    ["dsl", "deputy", "head", "teacher", "technician", "governor", "chair", "riverside-dsl"],
)
def test_each_demo_account_logs_in_with_the_demo_password(client: Client, username: str) -> None:
    assert _attempt(client, username, "oakfield-demo") == 302
    assert AuditEvent.objects.filter(action="user.logged_in", actor_name=username).exists()


def test_passwords_are_hashed_with_argon2(db: None) -> None:
    from safeschool.accounts.models import User

    assert User.objects.get(username="dsl").password.startswith("argon2")


def test_wrong_password_is_refused_with_a_message_and_audited(client: Client) -> None:
    response = client.post(LOGIN, {"username": "teacher", "password": "wrong"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert AuditEvent.objects.filter(action="user.login_failed", data__username="teacher").exists()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client: Client) -> None:
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert _attempt(client, "teacher", "wrong") == 200
    response = client.post(LOGIN, {"username": "teacher", "password": "oakfield-demo"})
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="user.login_locked").exists()
    # Another account from elsewhere is not affected.
    assert _attempt(Client(REMOTE_ADDR="10.1.1.1"), "dsl", "oakfield-demo") == 302


def test_log_in_refuses_to_redirect_off_site(client: Client) -> None:
    response = client.post(
        LOGIN, {"username": "teacher", "password": "oakfield-demo", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_logout_needs_post_and_is_audited(login_as: Callable[[str], Client]) -> None:
    client = login_as("teacher")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("schools:detail", args=["oakfield"])).status_code == 302
    assert AuditEvent.objects.filter(action="user.logged_out", actor_name="teacher").exists()


def test_sessions_expire_after_inactivity(login_as: Callable[[str], Client]) -> None:
    import datetime

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 60 * 60
    client = login_as("teacher")
    page = reverse("schools:detail", args=["oakfield"])
    assert client.get(page).status_code == 200
    # Each request pushes the expiry on by the idle period…
    expiry = Session.objects.get(session_key=client.session.session_key).expire_date
    assert expiry > timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    # …and once the idle period has passed, the session is gone.
    Session.objects.all().update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(page).status_code == 302


def test_password_change_validates_and_audits(login_as: Callable[[str], Client]) -> None:
    client = login_as("teacher")
    url = reverse("accounts:password_change")
    weak = client.post(
        url, {"old_password": "oakfield-demo", "new_password1": "short", "new_password2": "short"}
    )
    assert "too short" in weak.content.decode()
    good = client.post(
        url,
        {
            "old_password": "oakfield-demo",
            "new_password1": "a-much-longer-passphrase-7",
            "new_password2": "a-much-longer-passphrase-7",
        },
    )
    assert good.status_code == 302
    assert AuditEvent.objects.filter(action="user.password_changed").exists()


def test_pages_carry_security_headers(client: Client) -> None:
    response = client.get(LOGIN)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_posts_without_a_csrf_token_are_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "teacher", "password": "oakfield-demo"})
    assert response.status_code == 403
