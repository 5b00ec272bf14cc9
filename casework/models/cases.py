"""Cases and households: the anonymised record of one returnee and of a family group."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casework import choices
from casework.fields import MultipleChoiceField
from casework.models.querysets import CaseQuerySet, HouseholdQuerySet

# A reference is read aloud and copied by hand: at most one character of each easily confused group
# (0/O, 1/I/L, 8/B, 5/S, 2/Z) is used, so none can be mistaken for another.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY2345679"

NOT_RECORDED = _(
    "Do not record names, ID or passport numbers, phone numbers, addresses or exact dates of birth."
)


def new_reference() -> str:
    """A random reference like K7QF-29XA: 27^8 ≈ 2.8·10^11 values, unrelated to the person or the order."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def first_of_month(value):
    return value.replace(day=1) if value else value


class Household(models.Model):
    """An anonymised family group, e.g. a mother and the children who returned with her."""

    reference = models.CharField(
        _("reference"), max_length=9, unique=True, default=new_reference, editable=False
    )
    organisation = models.ForeignKey(
        "casework.Organisation", on_delete=models.PROTECT, related_name="households"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = HouseholdQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"Household {self.reference}"


class Case(models.Model):
    """One returnee, known only by a random reference. See DESIGN §3.1 for what is never recorded."""

    reference = models.CharField(
        _("reference"),
        max_length=9,
        unique=True,
        default=new_reference,
        editable=False,
        help_text=_("Generated at random; never typed and unrelated to the person."),
    )
    organisation = models.ForeignKey("casework.Organisation", on_delete=models.PROTECT, related_name="cases")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned caseworker"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opened_cases",
        verbose_name=_("opened by"),
        editable=False,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=choices.CaseStatus.choices, default=choices.CaseStatus.INTAKE
    )
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=30, choices=choices.ClosureReason.choices, blank=True
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)

    # Profile: bands and regions, never exact values.
    sex = models.CharField(_("sex"), max_length=10, choices=choices.Sex.choices)
    age_band = models.CharField(
        _("age band at return"),
        max_length=5,
        choices=choices.AgeBand.choices,
        help_text=_("The band at the time of return. Never record the date of birth."),
    )
    citizenship = models.ForeignKey(
        "policies.Country",
        on_delete=models.PROTECT,
        related_name="citizen_cases",
        verbose_name=_("citizenship"),
    )
    residence_country = models.ForeignKey(
        "policies.Country",
        on_delete=models.PROTECT,
        related_name="resident_cases",
        verbose_name=_("country of residence"),
    )
    residence_region = models.ForeignKey(
        "policies.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("region of residence"),
        help_text=_("The first-level region only. Never record a town, street or address."),
    )

    # Return and background.
    return_month = models.DateField(
        _("month of return"),
        help_text=_("Stored as the first day of the month; the exact day is not recorded."),
    )
    departure_year = models.PositiveSmallIntegerField(
        _("year of departure"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text=_("Leave empty for someone born in the conflict zone."),
    )
    conflict_zone = models.CharField(_("conflict zone"), max_length=20, choices=choices.ConflictZone.choices)
    return_pathway = models.CharField(
        _("return pathway"), max_length=20, choices=choices.ReturnPathway.choices
    )
    programme = models.ForeignKey(
        "policies.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("return programme"),
        help_text=_("Only when the return pathway is a programme."),
    )
    affiliation = models.CharField(
        _("affiliation"),
        max_length=20,
        choices=choices.Affiliation.choices,
        default=choices.Affiliation.UNKNOWN,
    )
    armed_group = models.ForeignKey(
        "policies.ArmedGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("armed group"),
        help_text=_("Only when the affiliation is a named group."),
    )
    circumstance = models.CharField(
        _("circumstance of going"),
        max_length=20,
        choices=choices.Circumstance.choices,
        default=choices.Circumstance.UNKNOWN,
    )
    drivers = MultipleChoiceField(
        _("drivers"),
        choices=choices.Driver.choices,
        blank=True,
        help_text=_("What led to the departure, as far as known."),
    )
    vulnerabilities = MultipleChoiceField(
        _("vulnerabilities"), choices=choices.Vulnerability.choices, blank=True
    )

    # Consent.
    consent_services = models.BooleanField(_("consents to services"), default=False)
    consent_services_on = models.DateField(_("consent to services given on"), null=True, blank=True)
    consent_data_sharing = models.BooleanField(_("consents to anonymised data sharing"), default=False)
    consent_data_sharing_on = models.DateField(_("consent to data sharing given on"), null=True, blank=True)
    consent_withdrawn_on = models.DateField(
        _("consent withdrawn on"),
        null=True,
        blank=True,
        help_text=_("When the person withdrew all consent; services and sharing stop from this date."),
    )

    household = models.ForeignKey(
        Household, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    household_role = models.CharField(
        _("role in household"), max_length=20, choices=choices.HouseholdRole.choices, blank=True
    )

    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Raised on every save, so that a stale edit can be refused."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseQuerySet.as_manager()
    # Who changed what and when (casework/history.py); updated_at would only repeat history_date.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-opened_on", "reference"]
        indexes = [
            models.Index(fields=["organisation", "status"], name="case_org_status_idx"),
            models.Index(fields=["organisation", "assigned_to"], name="case_org_assignee_idx"),
            models.Index(fields=["organisation", "-opened_on"], name="case_org_opened_idx"),
            # The supervisor's "unassigned cases", oldest first, without walking the organisation's cases.
            models.Index(
                fields=["organisation", "opened_on"],
                condition=models.Q(assigned_to__isnull=True),
                name="case_unassigned_idx",
            ),
            # Analysts' case list across organisations: its order, and the filters they use most.
            models.Index(fields=["-return_month", "reference"], name="case_return_month_idx"),
            models.Index(fields=["residence_country", "sex", "age_band"], name="case_country_sex_age_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in choices.OPEN_STATUSES

    def clean(self) -> None:
        self.return_month = first_of_month(self.return_month)
        errors: dict[str, str] = {}
        today = timezone.localdate()

        if self.return_month and self.return_month > today:
            errors["return_month"] = _("The month of return cannot be in the future.")
        if self.departure_year and self.departure_year > today.year:
            errors["departure_year"] = _("The year of departure cannot be in the future.")
        if self.return_month and self.departure_year and self.return_month.year < self.departure_year:
            errors["return_month"] = _("The month of return cannot be before the year of departure.")

        if self.circumstance == choices.Circumstance.BORN_IN_ZONE:
            if self.departure_year:
                errors["departure_year"] = _("Someone born in the conflict zone has no year of departure.")
            if self.age_band and self.age_band not in choices.CHILD_AGE_BANDS:
                errors["age_band"] = _("Someone born in the conflict zone must have a child's age band.")

        if (
            self.residence_region_id
            and self.residence_country_id
            and self.residence_region.country_id != self.residence_country_id
        ):
            errors["residence_region"] = _("This region is not in the country of residence.")

        if self.return_pathway == choices.ReturnPathway.PROGRAMME and not self.programme_id:
            errors["programme"] = _("Choose the programme the person returned through.")
        if self.programme_id and self.return_pathway != choices.ReturnPathway.PROGRAMME:
            errors["programme"] = _("A programme applies only when the return pathway is a programme.")

        if self.affiliation == choices.Affiliation.GROUP and not self.armed_group_id:
            errors["armed_group"] = _("Choose the armed group, or set the affiliation to unknown.")
        if self.armed_group_id and self.affiliation != choices.Affiliation.GROUP:
            errors["armed_group"] = _("An armed group applies only when the affiliation is a named group.")

        if self.status in (choices.CaseStatus.CLOSED, choices.CaseStatus.ARCHIVED):
            # An archived case was closed first, and keeps its closure.
            if not self.closed_on:
                errors["closed_on"] = _("A closed case needs the date it was closed.")
            elif self.opened_on and self.closed_on < self.opened_on:
                errors["closed_on"] = _("A case cannot be closed before it was opened.")
            if not self.closure_reason:
                errors["closure_reason"] = _("A closed case needs a closure reason.")
        else:
            if self.closed_on:
                errors["closed_on"] = _("An open case has no closure date; clear it or close the case.")
            if self.closure_reason:
                errors["closure_reason"] = _(
                    "An open case has no closure reason; clear it or close the case."
                )
        if self.status == choices.CaseStatus.ARCHIVED and not self.archived_at:
            # Archiving records when it happened; only the archive action (casework/services) does that.
            errors["status"] = _("Archive a closed case with the Archive action on its page.")
        if self.opened_on and self.opened_on > today:
            errors["opened_on"] = _("A case cannot be opened in the future.")
        if self.closed_on and self.closed_on > today:
            errors["closed_on"] = _("The closure date cannot be in the future.")

        for flag, date_field in (
            ("consent_services", "consent_services_on"),
            ("consent_data_sharing", "consent_data_sharing_on"),
        ):
            given_on = getattr(self, date_field)
            if getattr(self, flag) and not given_on:
                errors[date_field] = _("Record when consent was given.")
            elif given_on and not getattr(self, flag):
                errors[date_field] = _("There is a date but no consent; tick the consent or clear the date.")
            elif given_on and given_on > today:
                errors[date_field] = _("Consent cannot be given in the future.")
        if self.consent_withdrawn_on:
            if self.consent_withdrawn_on > today:
                errors["consent_withdrawn_on"] = _("Consent cannot be withdrawn in the future.")
            elif self.consent_services or self.consent_data_sharing:
                errors["consent_withdrawn_on"] = _(
                    "Consent was withdrawn: untick the consents to services and to data sharing."
                )

        if self.household_id:
            if self.organisation_id and self.household.organisation_id != self.organisation_id:
                errors["household"] = _("This household belongs to another organisation.")
            if not self.household_role:
                errors["household_role"] = _("Say what role this person has in the household.")
        elif self.household_role:
            errors["household_role"] = _("A role in a household needs a household.")

        if self.assigned_to_id and self.organisation_id:
            assignee = self.assigned_to
            if assignee.organisation_id != self.organisation_id or not assignee.role_enum.works_on_cases:
                errors["assigned_to"] = _("Assign a caseworker or supervisor of the case's organisation.")

        if errors:
            raise ValidationError(errors)
