from casework.models.audit import AuditEvent
from casework.models.cases import Case, Household
from casework.models.closure import ClosureRequest
from casework.models.exports import ExportJob
from casework.models.organisations import Organisation, User
from casework.models.records import Assessment, CaseNote, LegalProceeding
from casework.models.reports import SavedReport
from casework.models.services import Referral, ServiceProvider, ServiceType
from casework.models.tokens import ApiToken

__all__ = [
    "ApiToken",
    "Assessment",
    "AuditEvent",
    "Case",
    "CaseNote",
    "ClosureRequest",
    "ExportJob",
    "Household",
    "LegalProceeding",
    "Organisation",
    "Referral",
    "SavedReport",
    "ServiceProvider",
    "ServiceType",
    "User",
]
