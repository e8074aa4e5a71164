"""End to end in Debian's Chromium, driven by Playwright, against a live server."""

from __future__ import annotations

import pytest

from tests.browser_support import CHROMIUM, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def test_teacher_logs_in_sees_home_and_logs_out(browser: object, site: str) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()  # type: ignore[attr-defined]
    log_in(page, site, "teacher")
    expect(page.get_by_role("heading", level=1)).to_have_text("Oakfield Primary School")
    expect(page.get_by_text("Sam Whitfield").first).to_be_visible()
    expect(page.get_by_role("link", name="Pupils")).to_be_visible()
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to SafeSchool")
    page.goto(f"{site}/s/oakfield/")
    expect(page).to_have_url(f"{site}/accounts/login/?next=/s/oakfield/")


def test_wrong_password_shows_an_error_summary(browser: object, site: str) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill("teacher")
    page.get_by_label("Password").fill("not-the-password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


def test_pupil_search_updates_as_you_type(browser: object, site: str) -> None:
    from playwright.sync_api import expect

    from safeschool.people.models import Pupil

    pupil = Pupil.objects.filter(school__slug="oakfield").order_by("last_name").last()
    assert pupil is not None
    page = browser.new_page()  # type: ignore[attr-defined]
    log_in(page, site, "dsl")
    page.get_by_role("link", name="Pupils").click()
    page.get_by_label("Name").fill(pupil.first_name + " " + pupil.last_name)
    same_name = Pupil.objects.filter(
        school__slug="oakfield", first_name=pupil.first_name, last_name=pupil.last_name
    ).count()
    rows = page.locator("#pupil-rows tbody tr")
    expect(rows).to_have_count(same_name)
    expect(rows.first).to_contain_text(f"{pupil.last_name}, {pupil.first_name}")
    assert "q=" in page.url, "the search is kept in the address for the back button"


def test_dsl_sees_log_ins_on_the_audit_page(browser: object, site: str) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()  # type: ignore[attr-defined]
    log_in(page, site, "dsl")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action starts with").fill("user.logged_in")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.audit-table")).to_contain_text("user.logged_in")
    expect(page.locator("table.audit-table")).to_contain_text("dsl")


def test_teacher_records_urgent_concern_and_dsl_handles_it(browser: object, site: str) -> None:
    from playwright.sync_api import expect

    from safeschool.people.models import Pupil

    pupil = Pupil.objects.filter(school__slug="oakfield", year_group="2").order_by("pk").first()
    assert pupil is not None
    teacher = browser.new_context().new_page()  # type: ignore[attr-defined]
    log_in(teacher, site, "teacher")
    teacher.get_by_role("link", name="Record a concern").click()
    teacher.get_by_label("Find a pupil").fill(pupil.last_name)
    teacher.get_by_role("button", name=f"Add {pupil.first_name} {pupil.last_name}").first.click()
    teacher.get_by_label(f"{pupil.first_name} {pupil.last_name}", exact=False).first.select_option(
        "subject"
    )
    teacher.get_by_label("Contact").check()
    teacher.get_by_label("Type").select_option("grooming")
    teacher.get_by_label("What was seen or heard").fill(
        "He said a man online asked him to keep their chats secret."
    )
    teacher.get_by_label("Urgent: a child may be at risk of harm now").check()
    teacher.get_by_role("button", name="Send to the safeguarding team").click()
    expect(teacher.get_by_role("heading", name="Concern recorded")).to_be_visible()
    reference = teacher.locator(".panel-confirm strong").inner_text()

    dsl = browser.new_context().new_page()  # type: ignore[attr-defined]
    log_in(dsl, site, "dsl")
    expect(dsl.get_by_role("link", name="Notifications")).to_contain_text("1")
    dsl.get_by_role("link", name="Safeguarding dashboard").click()
    row = dsl.locator("tr", has_text=reference)
    expect(row).to_contain_text("Urgent")
    row.get_by_role("link", name=reference).click()
    dsl.locator("#form-triage").get_by_label("Case owner").select_option(label="Helen Ashworth")
    dsl.locator("#form-triage").get_by_role("button", name="Triage and assign").click()
    expect(dsl.get_by_role("status")).to_contain_text("Triaged.")
    dsl.get_by_text("Record a referral").click()
    dsl.locator("#form-referral").get_by_label("Agency").select_option("ceop")
    dsl.locator("#form-referral").get_by_label("Their reference").fill("CEOP-E2E-1")
    dsl.locator("#form-referral").get_by_role("button", name="Record referral").click()
    expect(dsl.locator(".timeline")).to_contain_text("Referral to CEOP")
    dsl.get_by_text("Close this concern").click()
    dsl.locator("#form-close").get_by_label("Outcome").fill("Referred; family supported.")
    dsl.locator("#form-close").get_by_role("button", name="Close concern").click()
    expect(dsl.locator(".lead")).to_contain_text("Closed")


def test_a_site_the_dns_filter_blocked_shows_the_block_page(
    browser: object, site: str, settings: object
) -> None:
    """Chromium is told games.test lives at this server's address, as the DNS filter answers."""
    from playwright.sync_api import expect

    settings.SAFESCHOOL_BLOCK_URL = f"{site}/blocked"  # type: ignore[attr-defined]
    port = site.rsplit(":", 1)[1]
    chromium = browser.browser_type.launch(  # type: ignore[attr-defined]
        executable_path=str(CHROMIUM),
        args=["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP games.test 127.0.0.1"],
    )
    try:
        page = chromium.new_page()
        page.goto(f"http://games.test:{port}/play?level=2")
        expect(page).to_have_url(f"{site}/blocked?url=http%3A%2F%2Fgames.test%2Fplay%3Flevel%3D2")
        expect(page.get_by_text("http://games.test/play?level=2")).to_be_visible()
        expect(page.get_by_role("button", name="This shouldn't be blocked")).to_be_visible()
    finally:
        chromium.close()
