"""/api/v1/: one router; each resource module registers its viewsets here."""

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from casework.api.cases import CaseViewSet
from casework.api.records import AssessmentViewSet, LegalProceedingViewSet, NoteViewSet, ReferralViewSet
from casework.api.stats import CaseStatsView, ReferralStatsView
from policies.api import (
    ArmedGroupViewSet,
    CountryViewSet,
    LegalFrameworkViewSet,
    ProgrammeViewSet,
    ProvisionViewSet,
    ServiceTypeViewSet,
)

router = DefaultRouter()
# Resource registrations (one line each):
router.register("cases", CaseViewSet, basename="case")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("notes", NoteViewSet, basename="note")
router.register("legal-proceedings", LegalProceedingViewSet, basename="legal-proceeding")
router.register("countries", CountryViewSet, basename="country")
router.register("legal-frameworks", LegalFrameworkViewSet, basename="legal-framework")
router.register("provisions", ProvisionViewSet, basename="provision")
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("armed-groups", ArmedGroupViewSet, basename="armed-group")
router.register("service-types", ServiceTypeViewSet, basename="service-type")

# The interactive documentation (Swagger UI) under the Content-Security-Policy (README "Security
# headers"): the split view serves its start-up script as a file (docs/?script=), not inline, and this page
# alone may show `data:` images, which Swagger UI's icons are.
api_docs = csp_update({"img-src": ["data:"]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api_docs, name="api-docs"),
    path("stats/cases/", CaseStatsView.as_view(), name="api-stats-cases"),
    path("stats/referrals/", ReferralStatsView.as_view(), name="api-stats-referrals"),
    path("", include(router.urls)),
]
