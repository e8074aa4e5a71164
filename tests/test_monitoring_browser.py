"""End to end: a search through the real Squid helper, the event log and the ingest worker,
to an alert that the DSL sees and opens in Chromium."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from safeschool.engine import write_snapshot
from safeschool.people.models import Pupil
from tests.browser_support import CHROMIUM, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def _helper_command() -> list[str]:
    import sys

    return [str(Path(sys.executable).parent / "safeschool"), "squid-helper"]


def test_a_pupils_search_becomes_an_alert_the_dsl_sees(
    browser: object, site: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    pupil = Pupil.objects.filter(school__slug="oakfield", year_group="5").first()
    assert pupil is not None
    policy, spool = tmp_path / "policy.json", tmp_path / "spool"
    write_snapshot(
        {
            "format": "safeschool-policy",
            "version": 1,
            "redirect": f"{site}/blocked?url=%u",
            "groups": [
                {
                    "name": "pupils",
                    "addresses": ["0.0.0.0/0"],
                    "default": "allow",
                    "safe_search": {"google": True},
                }
            ],
        },
        policy,
    )
    line = (
        f"http://www.google.com/search?q=how+to+kill+myself 10.2.0.15/- "
        f"{pupil.network_username} GET myip=10.2.0.1 myport=3128\n"
    )
    helper = subprocess.run(
        [*_helper_command(), "--policy", str(policy), "--spool", str(spool)],
        input=line,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert helper.stdout.startswith('OK rewrite-url="http://www.google.com/search?q=how+to+kill')
    call_command("ingest", "--once", "--spool", str(spool), "--school", "oakfield")

    page = browser.new_page()  # type: ignore[attr-defined]
    log_in(page, site, "dsl")
    page.get_by_role("link", name="Monitoring").click()
    row = page.locator("tr", has_text=pupil.full_name)
    expect(row).to_contain_text("Suicide")
    expect(row).to_contain_text("how to kill myself")
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suicide – severity 5")
    expect(page.get_by_text("Raise as a concern")).to_be_visible()
