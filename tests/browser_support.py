"""Shared by the Chromium tests: where the browser is, and logging in through the real form."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def log_in(page: object, site: str, username: str) -> None:
    page.goto(f"{site}/")  # type: ignore[attr-defined]
    page.get_by_label("Username").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill("oakfield-demo")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
