"""The Content-Security-Policy holds in a real browser: no page of ours breaks it.

The policy forbids inline scripts and styles. A page that still had one would be shown broken (a style
ignored, a script not run) and Chromium would say so in the console ("Refused to apply inline style…")
and fire a `securitypolicyviolation` event. With demo data, a supervisor, a system administrator and an
anonymous visitor open every kind of page — our own, the Django admin's, Django REST framework's
browsable API and the Swagger UI documentation — and not one violation or console error may occur.
"""

import pytest
from django.core.management import call_command
from django.db.models import Count
from playwright.sync_api import Page, expect

from casework.models import AuditEvent, Case, User
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every document before the page's own scripts (Playwright injects it; the policy does not
# apply to it) and records each violation the browser reports.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
"""


class PolicyWatch:
    """Console errors and CSP violations of every page opened, by page."""

    def __init__(self, page: Page):
        self.page = page
        self.problems: dict[str, list[str]] = {}
        self.current = ""
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._note(f"script error: {error}"))

    def _console(self, message) -> None:
        failed_url = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and (
            failed_url.endswith("/favicon.ico") or failed_url == self.current
        ):
            return  # the browser's own favicon request, or the status of a page meant to be an error
        if message.type in ("error", "warning") or "Content Security Policy" in message.text:
            self._note(f"console {message.type}: {message.text}")

    def _note(self, problem: str) -> None:
        self.problems.setdefault(self.current, []).append(problem)

    def visit(self, url: str, *, shows: str, wait_for_idle: bool = False) -> None:
        """Open `url`, check it shows the text `shows` (so an error page cannot pass), collect problems."""
        self.current = url
        self.page.goto(url)
        if wait_for_idle:  # pages that build themselves with scripts after loading
            self.page.wait_for_load_state("networkidle")
        expect(self.page.get_by_text(shows, exact=False).first).to_be_visible()
        for violation in self.page.evaluate("window.__violations"):
            self._note(f"violation: {violation}")

    def sign_in(self, base: str, username: str, *, admin: bool = False) -> None:
        self.visit(f"{base}/{'admin' if admin else 'accounts'}/login/", shows="Password")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(TEST_PASSWORD)
        self.page.get_by_role("button", name="Log in" if admin else "Sign in").click()
        self.page.wait_for_load_state()

    def sign_out(self) -> None:
        self.page.context.clear_cookies()

    def report(self) -> str:
        return "\n".join(
            f"{url}\n" + "\n".join(f"  {problem[:300]}" for problem in problems)
            for url, problems in self.problems.items()
        )


def richest_case(organisation) -> Case:
    return (
        Case.objects.filter(organisation=organisation)
        .annotate(n_assessments=Count("assessments", distinct=True), n_referrals=Count("referrals"))
        .filter(n_assessments__gte=2, n_referrals__gte=1)
        .order_by("reference")
        .first()
    )


def test_no_page_breaks_the_content_security_policy(live_server, page: Page):
    call_command("seed_demo", cases=60, seed=1, password=TEST_PASSWORD, force=True, verbosity=0)
    supervisor = User.objects.get(username="ngo-a-supervisor")
    case = richest_case(supervisor.organisation)
    assert case is not None, "the demo data has no case with referrals and two assessments"
    base = live_server.url
    watch = PolicyWatch(page)

    # Anonymous: the sign-in page and a page that does not exist.
    watch.visit(f"{base}/accounts/login/", shows="Sign in")
    watch.visit(f"{base}/no-such-page/", shows="Not found")

    # A supervisor's pages, with charts, fold-out forms and tables.
    watch.sign_in(base, supervisor.username)
    watch.visit(f"{base}/", shows="Dashboard")
    watch.visit(f"{base}/cases/", shows=case.reference)
    watch.visit(f"{base}/cases/{case.reference}/", shows=f"Case {case.reference}")
    watch.visit(f"{base}/cases/{case.reference}/edit/", shows="Profile")
    watch.visit(f"{base}/cases/new/", shows="Open a case")
    watch.visit(f"{base}/cases/{case.reference}/history/", shows=case.reference)
    watch.visit(f"{base}/reports/", shows="Caseload")
    watch.visit(f"{base}/reports/caseload/", shows="Caseload report")
    watch.visit(f"{base}/policies/", shows="Policies")
    watch.visit(f"{base}/account/tokens/", shows="API tokens")
    # The API as a browser sees it: the interactive documentation and the browsable API.
    watch.visit(f"{base}/api/v1/docs/", shows="Returnee Casework API", wait_for_idle=True)
    watch.visit(f"{base}/api/v1/cases/", shows="Case List")
    watch.visit(f"{base}/api/v1/cases/{case.reference}/", shows=case.reference)
    watch.visit(f"{base}/api/v1/armed-groups/", shows="Armed Group List")
    watch.sign_out()

    # The Django admin, as a system administrator.
    watch.sign_in(base, "admin", admin=True)
    watch.visit(f"{base}/admin/", shows="Administration")
    watch.visit(f"{base}/admin/casework/case/", shows=case.reference)
    watch.visit(f"{base}/admin/casework/case/{case.pk}/change/", shows=case.reference)
    watch.visit(f"{base}/admin/casework/auditevent/", shows="audit event")
    event = AuditEvent.objects.order_by("-pk").first()
    watch.visit(f"{base}/admin/casework/auditevent/{event.pk}/change/", shows="audit event")
    watch.visit(f"{base}/admin/casework/user/add/", shows="Add user")

    assert not watch.problems, watch.report()


def test_two_factor_enrolment_with_its_qr_code_keeps_the_policy(
    live_server, page: Page, settings, caseworker_a
):
    settings.REQUIRE_2FA = True  # the live server runs in this process: it sees the change
    base = live_server.url
    watch = PolicyWatch(page)
    watch.sign_in(base, caseworker_a.username)
    watch.visit(f"{base}/accounts/2fa/setup/", shows="Set up two-factor sign-in")
    expect(page.locator("svg.qr-code")).to_be_visible()
    assert not watch.problems, watch.report()
