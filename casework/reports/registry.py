"""The reports users may run: what `/reports/` lists and what a saved report definition can name.

Each kind knows its title, who may run it (a rule of the access module), the form of its parameters and
how to turn valid parameters into the report's URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from casework import access
from casework.choices import ReportName
from casework.reports import forms as parameter_forms


@dataclass(frozen=True)
class ReportKind:
    slug: str
    title: Any
    description: Any
    form_class: type[forms.Form]
    may_run: Callable[[Any], bool]
    url: Callable[[dict[str, Any]], str]

    def form(self, user, data=None) -> forms.Form:
        return self.form_class(data, user=user, prefix=None)

    def url_for(self, user, parameters: dict[str, Any]) -> str | None:
        """The report's URL for these parameters (a saved definition's), or None if they are not valid
        for this user (an organisation they may not report on, a malformed reference)."""
        form = self.form_class(parameters, user=user)
        if not form.is_valid():
            return None
        return self.url(form.cleaned_data)


def _case_summary_url(cleaned: dict[str, Any]) -> str:
    return reverse("reports:case-summary", args=[cleaned["reference"]])


def _caseload_url(cleaned: dict[str, Any]) -> str:
    query = {
        "organisation": cleaned["organisation"].slug if cleaned.get("organisation") else "",
        "from": cleaned["from"].isoformat(),
        "to": cleaned["to"].isoformat(),
    }
    return f"{reverse('reports:caseload')}?{urlencode(query)}"


def _country_brief_url(cleaned: dict[str, Any]) -> str:
    return reverse("reports:country-brief", args=[cleaned["country"].code])


REPORTS: dict[str, ReportKind] = {
    kind.slug: kind
    for kind in (
        ReportKind(
            slug="case-summary",
            title=_("Case summary"),
            description=_(
                "One case for a case conference or a handover: profile, return pathway, timeline, "
                "services, assessments, legal proceedings and open actions."
            ),
            form_class=parameter_forms.CaseSummaryParameters,
            may_run=access.reads_case_pages,
            url=_case_summary_url,
        ),
        ReportKind(
            slug="caseload",
            title=_("Caseload report"),
            description=_(
                "Cases opened, closed and active in a period; referrals and their outcomes; time to "
                "service; change in assessments. Counts are suppressed below the threshold."
            ),
            form_class=parameter_forms.CaseloadParameters,
            may_run=access.may_run_caseload_report,
            url=_caseload_url,
        ),
        ReportKind(
            slug="country-brief",
            title=_("Country brief"),
            description=_(
                "A country's legal frameworks and provisions in force, its programmes with their reported "
                "figures, and the suppressed count of its cases in this system."
            ),
            form_class=parameter_forms.CountryBriefParameters,
            may_run=lambda user: access.role_of(user) is not None,
            url=_country_brief_url,
        ),
    )
}

# Every report has its name in casework.choices.ReportName (what a saved definition stores) and no other.
assert set(REPORTS) == set(ReportName.values), "REPORTS and choices.ReportName disagree"


def runnable(user) -> list[ReportKind]:
    return [kind for kind in REPORTS.values() if kind.may_run(user)]
