"""Services a returnee can be referred to, who provides them, and the referrals themselves."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casework import choices
from casework.models.querysets import CaseRecordQuerySet
from casework.models.screened import ScreenedTextMixin

RS = choices.ReferralStatus

# For each status, the dates that must be filled; a date outside the list must be empty.
# Cancelled may happen at any point, so it requires only its end date and allows the others.
REFERRAL_DATES = ("referred_on", "accepted_on", "started_on", "ended_on")
REQUIRED_DATES = {
    RS.PLANNED: (),
    RS.REFERRED: ("referred_on",),
    RS.ACCEPTED: ("referred_on", "accepted_on"),
    RS.IN_PROGRESS: ("referred_on", "accepted_on", "started_on"),
    RS.COMPLETED: ("referred_on", "accepted_on", "started_on", "ended_on"),
    RS.DECLINED: ("referred_on", "ended_on"),
    RS.DROPPED_OUT: ("referred_on", "accepted_on", "started_on", "ended_on"),
    RS.CANCELLED: ("ended_on",),
}
ALLOWED_DATES = {**REQUIRED_DATES, RS.CANCELLED: REFERRAL_DATES}
FINAL_STATUSES = (RS.COMPLETED, RS.DECLINED, RS.DROPPED_OUT, RS.CANCELLED)


class ServiceType(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceProvider(models.Model):
    """An agency, clinic, school or NGO that delivers services. Reference data, shared by all."""

    name = models.CharField(_("name"), max_length=200)
    country = models.ForeignKey("policies.Country", on_delete=models.PROTECT, related_name="providers")
    region = models.ForeignKey(
        "policies.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="providers"
    )
    service_types = models.ManyToManyField(ServiceType, related_name="providers")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "name"], name="provider_unique_name_per_country"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.region_id and self.country_id and self.region.country_id != self.country_id:
            raise ValidationError({"region": _("This region is not in the provider's country.")})


class Referral(ScreenedTextMixin, models.Model):
    screened_fields = ("outcome_note",)

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="referrals")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="referrals")
    provider = models.ForeignKey(
        ServiceProvider, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    status = models.CharField(_("status"), max_length=20, choices=RS.choices, default=RS.PLANNED)
    referred_on = models.DateField(_("referred on"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    started_on = models.DateField(_("service started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=choices.ReferralOutcome.choices, blank=True
    )
    outcome_note = models.TextField(
        _("outcome note"),
        blank=True,
        help_text=_("Do not record names, ID numbers, phone numbers, addresses or dates of birth."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseRecordQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["case", "status"], name="referral_case_status_idx"),
            models.Index(fields=["service_type", "status"], name="referral_type_status_idx"),
            # The dashboard's "recent activity" (newest changes first) and "waiting on a provider"; the
            # caseload report's referrals made in a period.
            models.Index(fields=["-updated_at", "-id"], name="referral_updated_idx"),
            models.Index(fields=["status", "referred_on"], name="referral_waiting_idx"),
            models.Index(fields=["referred_on"], name="referral_referred_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_type} ({self.get_status_display()})" if self.service_type_id else "Referral"

    def clean(self) -> None:
        errors: dict = {}
        # An invalid status is named by clean_fields(); its dates cannot be judged until it is fixed.
        if self.status in RS.values:
            self._clean_dates(errors)
        if self.outcome and self.status not in FINAL_STATUSES:
            errors["outcome"] = _("An outcome is recorded only once the referral has ended.")
        if (
            self.provider_id
            and self.service_type_id
            and not self.provider.service_types.filter(pk=self.service_type_id).exists()
        ):
            errors["provider"] = _("This provider does not offer this service.")
        self.clean_screened_text(errors)
        if errors:
            raise ValidationError(errors)

    def _clean_dates(self, errors: dict) -> None:
        """Each status has its required dates, dates not reached are empty, and dates never go back."""
        today = timezone.localdate()
        required = REQUIRED_DATES[RS(self.status)]
        allowed = ALLOWED_DATES[RS(self.status)]
        status_label = RS(self.status).label
        for field in REFERRAL_DATES:
            value = getattr(self, field)
            if field in required and not value:
                errors[field] = _("A referral with status “%(status)s” needs this date.") % {
                    "status": status_label
                }
            elif value and field not in allowed:
                errors[field] = _("A referral with status “%(status)s” has no such date yet.") % {
                    "status": status_label
                }
            elif value and value > today:
                errors[field] = _("This date cannot be in the future.")
        previous = None
        for field in REFERRAL_DATES:
            value = getattr(self, field)
            if value and field not in errors:
                if previous and value < previous[1]:
                    errors[field] = _("This date cannot be before the %(earlier)s date.") % {
                        "earlier": self._meta.get_field(previous[0]).verbose_name
                    }
                previous = (field, value)
