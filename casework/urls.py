"""Pages of the casework app. Case URLs take a reference in the shape new_reference() draws."""

from django.urls import path, register_converter

from casework import (
    api_token_views,
    case_export,
    case_export_csv,
    case_forms,
    case_list,
    case_page,
    history,
    record_views,
    views,
    workflow_views,
)


class CaseReferenceConverter:
    """K7QF-29XA: anything else is not a case URL and gets the plain 404 of an unknown page."""

    regex = "[A-Z0-9]{4}-[A-Z0-9]{4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CaseReferenceConverter, "ref")

app_name = "casework"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", case_list.case_list, name="case-list"),
    path("cases/new/", case_forms.case_new, name="case-new"),
    path("cases/export.csv", case_export_csv.case_export_csv, name="case-export-csv"),
    path("cases/<ref:reference>/", case_page.case_detail, name="case-detail"),
    path("cases/<ref:reference>/notes/new/", record_views.note_add, name="note-add"),
    path("cases/<ref:reference>/referrals/new/", record_views.referral_add, name="referral-add"),
    path(
        "cases/<ref:reference>/referrals/<int:pk>/advance/",
        record_views.referral_advance,
        name="referral-advance",
    ),
    path("cases/<ref:reference>/assessments/new/", record_views.assessment_add, name="assessment-add"),
    path("cases/<ref:reference>/proceedings/new/", record_views.proceeding_add, name="proceeding-add"),
    path("cases/<ref:reference>/edit/", case_forms.case_edit, name="case-edit"),
    path("cases/<ref:reference>/history/", history.case_history, name="case-history"),
    path("cases/<ref:reference>/assign/", workflow_views.case_assign, name="case-assign"),
    path("cases/<ref:reference>/closure/request/", workflow_views.closure_request, name="closure-request"),
    path("cases/<ref:reference>/closure/decide/", workflow_views.closure_decide, name="closure-decide"),
    path("cases/<ref:reference>/archive/", workflow_views.case_archive, name="case-archive"),
    path("cases/<ref:reference>/export/", case_export.case_export, name="case-export"),
    path("account/tokens/", api_token_views.api_tokens, name="api-tokens"),
    path("account/tokens/<int:pk>/revoke/", api_token_views.api_token_revoke, name="api-token-revoke"),
]
