"""A case from opening to closure, in a real browser, as a caseworker and her supervisor live it.

Alice (caseworker) opens a case, writes a note that holds a phone number and is warned, refers the
person to a service (on the referral's own page) and moves the referral on, records two assessments and
sees the chart, and asks for the case to be closed. Sam (her supervisor) finds the request on his
dashboard and approves it.
"""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from casework import choices
from casework.audit import Action
from casework.models import AuditEvent, Case, CaseNote, ClosureRequest, Referral
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_NOTE = "Call me on +7 701 123 45 67 — the mother asked us to ring before the home visit."


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def open_fold(page: Page, section_id: str, summary: str):
    """Open a quick-add fold-out (<details>) in a section of the case page; returns the section."""
    section = page.locator(f"section#{section_id}")
    section.locator("summary", has_text=summary).click()
    return section


def score(form, domain: str, value: str) -> None:
    """Tick a score in one domain's radio group of the assessment form."""
    form.get_by_role("group", name=domain).get_by_label(value, exact=True).check()


def test_a_case_from_opening_to_closure(live_server, page: Page, caseworker_a, supervisor_a):
    call_command("seed_reference", verbosity=0)  # countries, regions, service types, frameworks
    base = live_server.url
    today = timezone.localdate()
    earlier = today - datetime.timedelta(days=90)

    # --- Alice signs in and opens a case --------------------------------------------------------------
    sign_in(page, base, caseworker_a.username)
    page.get_by_role("link", name="Cases", exact=True).click()
    page.get_by_role("link", name="Open a new case").click()
    expect(page.get_by_role("heading", name="Open a case", level=1)).to_be_visible()
    for section in ("Profile", "Return", "Background", "Vulnerabilities", "Consent", "Household"):
        expect(page.get_by_role("heading", name=section, level=2, exact=True)).to_be_visible()

    page.get_by_label("Female", exact=True).check()
    page.get_by_label("Age band at return").select_option(label="25–34")
    page.get_by_label("Citizenship", exact=True).select_option(label="Kazakhstan")
    page.get_by_label("Country of residence").select_option(label="Kazakhstan")
    page.get_by_label("Month of return").fill("2019-05")
    page.get_by_label("Conflict zone").select_option(label="Syria")
    page.get_by_label("Year of departure").fill("2014")
    page.get_by_label("Return pathway").select_option(label="Independent return")
    page.get_by_label("Circumstance of going").select_option(label="Taken by family")
    page.get_by_label("Trauma").check()
    page.get_by_role("button", name="Open the case").click()

    # The case page, under its new random reference.
    page.wait_for_url(re.compile(r"/cases/[A-Z0-9]{4}-[A-Z0-9]{4}/$"))
    reference = page.url.rstrip("/").rsplit("/", 1)[-1]
    case_url = f"{base}/cases/{reference}/"
    expect(page.get_by_role("heading", name=f"Case {reference}", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"Case {reference} opened.")
    overview = page.locator("section#overview")
    expect(overview).to_contain_text("Kazakhstan")
    expect(overview).to_contain_text("2019-05")
    expect(overview).to_contain_text("Trauma")
    expect(page.locator(".case-status .status")).to_have_text("Intake")

    # --- A note with a phone number: warned, the text kept, confirmed, saved --------------------------
    timeline = open_fold(page, "timeline", "Add a note")
    timeline.get_by_label("Type of contact").select_option(label="Phone call")
    timeline.get_by_label("Note", exact=True).fill(PHONE_NOTE)
    timeline.get_by_role("button", name="Save the note").click()

    expect(page.get_by_role("heading", name="Add a note", level=1)).to_be_visible()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Nothing was saved")
    expect(summary).to_contain_text("This text looks like it contains a phone number")
    # The same warning next to the box, which still holds every word she typed.
    expect(page.locator(".field.has-error", has=page.get_by_label("Note", exact=True))).to_contain_text(
        "Remove it, or confirm that it does not identify anyone."
    )
    expect(page.get_by_label("Note", exact=True)).to_have_value(PHONE_NOTE)
    expect(page.get_by_label("Type of contact")).to_have_value(choices.ContactType.PHONE)
    assert not CaseNote.objects.filter(case__reference=reference).exists()

    # She has checked: the number is the office's switchboard, not the person's.
    page.get_by_label("I have checked: this text identifies no one").check()
    page.get_by_role("button", name="Save the note").click()
    page.wait_for_url(f"{case_url}#timeline")
    expect(page.get_by_role("status")).to_contain_text("The note was added.")
    expect(page.locator("section#timeline .timeline-text").first).to_contain_text("+7 701 123 45 67")

    # --- A referral, moved on to its next status ------------------------------------------------------
    # The referral form has a page of its own (every provider is an option): the case page links to it.
    page.locator("section#referrals").get_by_role("link", name="Refer to a service").click()
    expect(page.get_by_role("heading", name="Refer to a service", level=1)).to_be_visible()
    page.get_by_label("Service type").select_option(label="Psychosocial support")
    page.get_by_label("Referred on").fill(today.isoformat())
    page.get_by_role("button", name="Save the referral").click()
    page.wait_for_url(f"{case_url}#referrals")
    expect(page.get_by_role("status")).to_contain_text("The referral was added.")
    referrals = page.locator("section#referrals")
    referral = referrals.locator("li.record", has_text="Psychosocial support")
    expect(referral.locator(".status")).to_have_text("Referred")

    referral.get_by_role("button", name="Mark as “Accepted” today").click()
    page.wait_for_url(re.compile(r"#referral-\d+$"))
    expect(page.get_by_role("status")).to_contain_text(
        "The referral to Psychosocial support is now “Accepted”."
    )
    referral = page.locator("section#referrals li.record", has_text="Psychosocial support")
    expect(referral.locator(".status")).to_have_text("Accepted")
    expect(referral).to_contain_text(f"accepted {today.isoformat()}")
    expect(referral.get_by_role("button", name="Mark as “In progress” today")).to_be_visible()

    # --- Two assessments on different days, and the chart ---------------------------------------------
    for assessed_on, scores in (
        (earlier, {"Psychosocial wellbeing": "2", "Housing": "3", "Livelihood": "1"}),
        (today, {"Psychosocial wellbeing": "4", "Housing": "4", "Livelihood": "2"}),
    ):
        page.locator("section#assessments").get_by_role("link", name="Record an assessment").click()
        expect(page.get_by_role("heading", name="Record an assessment", level=1)).to_be_visible()
        form = page.locator("form.assessment-form")
        form.get_by_label("Assessed on").fill(assessed_on.isoformat())
        for domain, value in scores.items():
            score(form, domain, value)
        form.get_by_role("button", name="Save the assessment").click()
        page.wait_for_url(f"{case_url}#assessments")
        expect(page.get_by_role("status")).to_contain_text("The assessment was recorded.")

    assessments = page.locator("section#assessments")
    expect(assessments).to_contain_text("2 assessments")
    expect(assessments).to_contain_text(f"the latest on {today.isoformat()}")
    chart = assessments.locator("figure#assessment-chart")
    expect(chart.locator("figcaption")).to_have_text("Assessment scores over time")
    svg = chart.locator("svg")
    expect(svg).to_be_visible()
    expect(svg.locator("polyline")).to_have_count(3)  # one line per scored domain, through both days
    expect(svg.locator("desc")).to_contain_text(
        f"Psychosocial wellbeing: 2 ({earlier.isoformat()}), 4 ({today.isoformat()})"
    )
    box = svg.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100

    # --- Alice asks for the case to be closed ---------------------------------------------------------
    workflow = page.locator("section.workflow")
    workflow.get_by_label("Reason for closing").select_option(label="Reintegration goals met")
    workflow.get_by_label("Why the case can be closed").fill(
        "Goals of the plan met: housing is stable and counselling continues through the provider."
    )
    workflow.get_by_role("button", name="Ask for closure").click()
    page.wait_for_url(case_url)
    expect(page.get_by_role("status")).to_contain_text("Closure requested.")
    workflow = page.locator("section.workflow")
    expect(workflow).to_contain_text("asked on")
    expect(workflow).to_contain_text("Reintegration goals met")
    expect(workflow).to_contain_text("Waiting for a supervisor's decision.")
    expect(workflow.get_by_role("button", name="Ask for closure")).to_have_count(0)

    page.get_by_role("button", name=f"Sign out ({caseworker_a.username})").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()

    # --- Sam, her supervisor, finds the request on his dashboard and approves it ----------------------
    sign_in(page, base, supervisor_a.username)
    pending = page.locator("h3#h-pending + .table-scroll")
    expect(pending).to_contain_text("Reintegration goals met")
    pending.get_by_role("link", name=reference).click()
    page.wait_for_url(case_url)
    workflow = page.locator("section.workflow")
    expect(workflow).to_contain_text(f"{caseworker_a.username} asked on")
    expect(workflow.get_by_role("heading", name="Decide on closing the case")).to_be_visible()
    workflow.get_by_label("Approve: close the case").check()
    expect(workflow.get_by_label("Closed on")).to_have_value(today.isoformat())
    workflow.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(case_url)
    expect(page.get_by_role("status")).to_contain_text("Closure approved: the case is closed.")
    expect(page.locator(".case-status .status")).to_have_text("Closed")
    expect(page.locator("section#overview")).to_contain_text(
        f"closed on {today.isoformat()}: Reintegration goals met"
    )
    # Nothing is left to decide or to ask for on a closed case.
    expect(page.get_by_role("button", name="Ask for closure")).to_have_count(0)
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)

    # --- What the database holds -----------------------------------------------------------------------
    case = Case.objects.get(reference=reference)
    assert case.status == choices.CaseStatus.CLOSED
    assert case.closed_on == today
    assert case.closure_reason == choices.ClosureReason.REINTEGRATED
    assert case.created_by == caseworker_a and case.assigned_to == caseworker_a
    note = CaseNote.objects.get(case=case)
    assert note.text == PHONE_NOTE and note.author == caseworker_a
    assert Referral.objects.get(case=case).status == choices.ReferralStatus.ACCEPTED
    assert case.assessments.count() == 2
    closure = ClosureRequest.objects.get(case=case)
    assert closure.decision == ClosureRequest.Decision.APPROVED and closure.decided_by == supervisor_a
    confirmed = AuditEvent.objects.filter(action=Action.IDENTIFIERS_CONFIRMED, case_reference=reference)
    assert confirmed.count() == 1
    event = confirmed.get()
    assert event.actor == caseworker_a and event.details == {"fields": ["text"]}
    assert PHONE_NOTE not in str(event.details)
