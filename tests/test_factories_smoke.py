import pytest

from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize(
    "factory",
    [
        factories.CaseFactory,
        factories.CaseNoteFactory,
        factories.ReferralFactory,
        factories.AssessmentFactory,
        factories.LegalProceedingFactory,
        factories.ReportedFigureFactory,
        factories.ServiceProviderFactory,
        factories.HouseholdFactory,
        factories.ArmedGroupAliasFactory,
        factories.RegionFactory,
    ],
)
def test_factories_build_records_that_pass_model_validation(factory):
    obj = factory()
    obj.full_clean()
