"""Report URLs (DESIGN §5: `/reports/`)."""

from django.urls import path

from casework import urls as casework_urls  # noqa: F401 - registers the <ref:…> converter
from casework.reports import case_summary, caseload, country_brief, views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("cases/", views.case_summary_find, name="case-summary-find"),
    path("cases/<ref:reference>/", case_summary.case_summary, name="case-summary"),
    path("caseload/", caseload.caseload, name="caseload"),
    path("countries/", views.country_brief_find, name="country-brief-find"),
    path("countries/<str:code>/", country_brief.country_brief, name="country-brief"),
    path("saved/<int:pk>/", views.saved_report_run, name="saved-run"),
]
