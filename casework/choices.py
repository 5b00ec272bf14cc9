"""Enumerations of the casework domain: statuses, bands and categories are code, not data."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a user does (DESIGN §2). Templates and views ask the capabilities, never the string."""

    SYSTEM_ADMIN = "system_admin", _("System administrator")
    ORG_ADMIN = "org_admin", _("Organisation administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    CASEWORKER = "caseworker", _("Caseworker")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")

    @property
    def needs_organisation(self) -> bool:
        return self in {Role.ORG_ADMIN, Role.SUPERVISOR, Role.CASEWORKER}

    @property
    def uses_admin_site(self) -> bool:
        return self in {Role.SYSTEM_ADMIN, Role.ORG_ADMIN, Role.AUDITOR}

    @property
    def manages_organisation_users(self) -> bool:
        """Creates, changes and deactivates the users of their own organisation (in the admin)."""
        return self == Role.ORG_ADMIN

    @property
    def works_on_cases(self) -> bool:
        return self in {Role.SUPERVISOR, Role.CASEWORKER}

    @property
    def sees_whole_organisation(self) -> bool:
        return self in {Role.ORG_ADMIN, Role.SUPERVISOR}

    @property
    def can_assign(self) -> bool:
        return self == Role.SUPERVISOR

    @property
    def sees_restricted_notes(self) -> bool:
        return self == Role.SUPERVISOR

    @property
    def reads_audit_trail(self) -> bool:
        return self in {Role.SYSTEM_ADMIN, Role.AUDITOR}


class CaseStatus(models.TextChoices):
    INTAKE = "intake", _("Intake")
    ACTIVE = "active", _("Active")
    MONITORING = "monitoring", _("Monitoring")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")


OPEN_STATUSES = (CaseStatus.INTAKE, CaseStatus.ACTIVE, CaseStatus.MONITORING)


class ClosureReason(models.TextChoices):
    REINTEGRATED = "reintegrated", _("Reintegration goals met")
    MOVED = "moved", _("Moved out of the organisation's area")
    TRANSFERRED = "transferred", _("Transferred to another organisation")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    DETAINED = "detained", _("Detained or imprisoned")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class AgeBand(models.TextChoices):
    """Age at return, in bands: an exact date of birth is never recorded."""

    UNDER_5 = "0-4", _("0–4")
    AGE_5_11 = "5-11", _("5–11")
    AGE_12_17 = "12-17", _("12–17")
    AGE_18_24 = "18-24", _("18–24")
    AGE_25_34 = "25-34", _("25–34")
    AGE_35_44 = "35-44", _("35–44")
    AGE_45_59 = "45-59", _("45–59")
    AGE_60_PLUS = "60+", _("60 and over")

    @property
    def is_child(self) -> bool:
        return self in CHILD_AGE_BANDS


CHILD_AGE_BANDS = (AgeBand.UNDER_5, AgeBand.AGE_5_11, AgeBand.AGE_12_17)


class ConflictZone(models.TextChoices):
    SYRIA = "syria", _("Syria")
    IRAQ = "iraq", _("Iraq")
    SYRIA_AND_IRAQ = "syria_iraq", _("Syria and Iraq")
    AFGHANISTAN = "afghanistan", _("Afghanistan")
    OTHER = "other", _("Other")


class ReturnPathway(models.TextChoices):
    PROGRAMME = "programme", _("Through a state or NGO programme")
    INDEPENDENT = "independent", _("Independent return")
    DEPORTATION = "deportation", _("Deportation")
    EXTRADITION = "extradition", _("Extradition")
    UNKNOWN = "unknown", _("Unknown")


class Affiliation(models.TextChoices):
    GROUP = "group", _("An armed group (named)")
    NONE = "none", _("No affiliation")
    UNKNOWN = "unknown", _("Unknown")
    NOT_DISCLOSED = "not_disclosed", _("Not disclosed")


class Circumstance(models.TextChoices):
    CHOSE = "chose", _("Chose to go")
    TAKEN_BY_FAMILY = "taken_by_family", _("Taken by family")
    BORN_IN_ZONE = "born_in_zone", _("Born in the conflict zone")
    COERCED = "coerced", _("Coerced or trafficked")
    UNKNOWN = "unknown", _("Unknown")


class Driver(models.TextChoices):
    SOCIO_ECONOMIC = "socio_economic", _("Socio-economic hardship")
    POLITICAL = "political", _("Political grievance")
    ONLINE_RECRUITMENT = "online_recruitment", _("Online recruitment")
    LABOUR_MIGRATION = "labour_migration", _("Recruitment during labour migration")
    FAMILY_TIES = "family_ties", _("Family ties")
    IDEOLOGY = "ideology", _("Ideology")
    IDENTITY = "identity", _("Identity or belonging")
    OTHER = "other", _("Other")


class Vulnerability(models.TextChoices):
    TRAUMA = "trauma", _("Trauma")
    DISABILITY = "disability", _("Disability")
    CHRONIC_ILLNESS = "chronic_illness", _("Chronic illness")
    NO_CIVIL_DOCUMENTS = "no_documents", _("No civil documents")
    UNACCOMPANIED_CHILD = "unaccompanied_child", _("Unaccompanied or separated child")
    SINGLE_HEADED_HOUSEHOLD = "single_headed_household", _("Single-headed household")
    STIGMA = "stigma", _("Stigma in the community")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    NO_INCOME = "no_income", _("No income")


class HouseholdRole(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    GRANDPARENT = "grandparent", _("Grandparent")
    SPOUSE = "spouse", _("Spouse")
    OTHER_RELATIVE = "other_relative", _("Other relative")
    CARER = "carer", _("Carer (not related)")


class ReferralStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    REFERRED = "referred", _("Referred")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_REFERRAL_STATUSES = (
    ReferralStatus.PLANNED,
    ReferralStatus.REFERRED,
    ReferralStatus.ACCEPTED,
    ReferralStatus.IN_PROGRESS,
)


class ReferralOutcome(models.TextChoices):
    GOALS_MET = "goals_met", _("Goals met")
    PARTLY_MET = "partly_met", _("Goals partly met")
    NOT_MET = "not_met", _("Goals not met")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ContactType(models.TextChoices):
    HOME_VISIT = "home_visit", _("Home visit")
    OFFICE = "office", _("Office meeting")
    PHONE = "phone", _("Phone call")
    ONLINE = "online", _("Online call or message")
    COURT_HEARING = "court_hearing", _("Court hearing")
    SCHOOL = "school", _("School visit")
    CASE_CONFERENCE = "case_conference", _("Case conference")
    OTHER = "other", _("Other")


class ProceedingStage(models.TextChoices):
    INVESTIGATION = "investigation", _("Investigation")
    CHARGED = "charged", _("Charged")
    TRIAL = "trial", _("Trial")
    SENTENCED = "sentenced", _("Sentenced")
    PROBATION = "probation", _("Probation")
    AMNESTIED = "amnestied", _("Amnestied")
    ACQUITTED = "acquitted", _("Acquitted")
    COMPLETED = "completed", _("Completed")


FINAL_PROCEEDING_STAGES = (ProceedingStage.AMNESTIED, ProceedingStage.ACQUITTED, ProceedingStage.COMPLETED)


class AssessmentDomain(models.TextChoices):
    """The reintegration domains scored 1–5; each is a column of Assessment."""

    PSYCHOSOCIAL = "psychosocial", _("Psychosocial wellbeing")
    HEALTH = "health", _("Health")
    FAMILY_TIES = "family_ties", _("Family and social ties")
    COMMUNITY_ACCEPTANCE = "community_acceptance", _("Community acceptance")
    LIVELIHOOD = "livelihood", _("Livelihood")
    HOUSING = "housing", _("Housing")
    EDUCATION = "education", _("Education and skills")
    LEGAL = "legal", _("Legal situation")
    DISENGAGEMENT = "disengagement", _("Disengagement from violent ideology")


class ReportName(models.TextChoices):
    """The reports of casework/reports/ (their slugs in /reports/ and in saved definitions)."""

    CASE_SUMMARY = "case-summary", _("Case summary")
    CASELOAD = "caseload", _("Caseload report")
    COUNTRY_BRIEF = "country-brief", _("Country brief")
