"""Shared fixtures: the demo trust, seeded once per test session, and clients logged in as
its named personas."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings

from safeschool.accounts.models import User
from safeschool.core import demo
from safeschool.people.models import Pupil
from safeschool.schools.models import School

PERSONAS = ["dsl", "deputy", "head", "teacher", "technician", "governor", "chair", "riverside-dsl"]


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the demo's published policy and lists live: never the developer's var/."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker: object, session_data_dir: Path
) -> None:
    with (
        django_db_blocker.unblock(),
        override_settings(  # type: ignore[attr-defined]
            DATA_DIR=session_data_dir, MEDIA_ROOT=session_data_dir / "private"
        ),
    ):
        demo.seed()


@pytest.fixture(autouse=True)
def _own_data_dir(
    tmp_path_factory: pytest.TempPathFactory, session_data_dir: Path
) -> Iterator[None]:
    """Each test writes snapshots and files into its own copy of the data directory."""
    data = tmp_path_factory.mktemp("test-data") / "data"
    shutil.copytree(session_data_dir, data)
    with override_settings(DATA_DIR=data, MEDIA_ROOT=data / "private"):
        yield


@pytest.fixture
def oakfield(db: None) -> School:
    return School.objects.get(slug="oakfield")


@pytest.fixture
def riverside(db: None) -> School:
    return School.objects.get(slug="riverside")


@pytest.fixture
def login_as(db: None) -> Callable[[str], Client]:
    """A test client logged in as the named demo persona."""

    def make(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return make


@pytest.fixture
def oakfield_pupil(oakfield: School) -> Pupil:
    return Pupil.objects.filter(school=oakfield).order_by("last_name", "first_name").first()  # type: ignore[return-value]


@pytest.fixture
def riverside_pupil(riverside: School) -> Pupil:
    return Pupil.objects.filter(school=riverside).order_by("last_name").first()  # type: ignore[return-value]


# Playwright's sync API runs an event loop in the test thread; the ORM calls in browser tests
# are still plain synchronous test code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server: object, transactional_db: None) -> str:
    if not demo.is_seeded():  # an earlier live-server test flushed the database
        demo.seed()
    return str(live_server.url)  # type: ignore[attr-defined]
