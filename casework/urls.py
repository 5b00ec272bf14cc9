"""Pages of the casework app. Case URLs take a reference in the shape new_reference() draws."""

from django.urls import path, register_converter

from casework import history, views


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
    path("cases/<ref:reference>/history/", history.case_history, name="case-history"),
]
