"""What is recorded over the life of a case: notes, assessments and legal proceedings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casework import choices
from casework.models.querysets import CaseNoteQuerySet, CaseRecordQuerySet
from casework.models.screened import ScreenedTextMixin

FREE_TEXT_HELP = _(
    "Do not record names, ID or passport numbers, phone numbers, addresses or exact dates of birth."
)


def score_field(domain: choices.AssessmentDomain):
    return models.PositiveSmallIntegerField(
        domain.label,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (severe difficulty) to 5 (no difficulty); empty if not assessed."),
    )


class CaseNote(ScreenedTextMixin, models.Model):
    screened_fields = ("text",)

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_notes")
    contact_on = models.DateField(_("date of contact"), default=timezone.localdate)
    contact_type = models.CharField(_("type of contact"), max_length=20, choices=choices.ContactType.choices)
    text = models.TextField(_("note"), help_text=FREE_TEXT_HELP)
    restricted = models.BooleanField(
        _("restricted"), default=False, help_text=_("Only the author and supervisors can read it.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseNoteQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-contact_on", "-created_at"]
        indexes = [
            models.Index(fields=["case", "-contact_on"], name="note_case_date_idx"),
            # The dashboard's "recent activity": newest notes first, stopping after a few.
            models.Index(fields=["-created_at", "-id"], name="note_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_contact_type_display()} on {self.contact_on}"

    def clean(self) -> None:
        errors: dict = {}
        if self.contact_on and self.contact_on > timezone.localdate():
            errors["contact_on"] = _("A contact cannot be in the future.")
        if self.text and not self.text.strip():
            # An empty text is already refused as blank; this catches a note of spaces only.
            errors["text"] = _("Write the note.")
        self.clean_screened_text(errors)
        if errors:
            raise ValidationError(errors)


class Assessment(models.Model):
    """Scores over the reintegration domains on one date, so progress can be followed over time."""

    DOMAINS = tuple(choices.AssessmentDomain)

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    psychosocial = score_field(choices.AssessmentDomain.PSYCHOSOCIAL)
    health = score_field(choices.AssessmentDomain.HEALTH)
    family_ties = score_field(choices.AssessmentDomain.FAMILY_TIES)
    community_acceptance = score_field(choices.AssessmentDomain.COMMUNITY_ACCEPTANCE)
    livelihood = score_field(choices.AssessmentDomain.LIVELIHOOD)
    housing = score_field(choices.AssessmentDomain.HOUSING)
    education = score_field(choices.AssessmentDomain.EDUCATION)
    legal = score_field(choices.AssessmentDomain.LEGAL)
    disengagement = score_field(choices.AssessmentDomain.DISENGAGEMENT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CaseRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_on"]
        indexes = [
            models.Index(fields=["case", "assessed_on"], name="assessment_case_date_idx"),
            # The dashboard's "assessments overdue": the few assessments since the cutoff, without
            # reading every assessment of every case.
            models.Index(fields=["assessed_on"], name="assessment_date_idx"),
        ]

    def __str__(self) -> str:
        return f"Assessment on {self.assessed_on}"

    def scores(self) -> dict[str, int | None]:
        return {domain.value: getattr(self, domain.value) for domain in self.DOMAINS}

    def clean(self) -> None:
        errors: dict = {}
        if self.assessed_on and self.assessed_on > timezone.localdate():
            errors["assessed_on"] = _("An assessment cannot be dated in the future.")
        if all(score is None for score in self.scores().values()):
            errors["psychosocial"] = _("Score at least one domain.")
        if errors:
            raise ValidationError(errors)


class LegalProceeding(ScreenedTextMixin, models.Model):
    """The case's path through one provision of a legal framework."""

    screened_fields = ("outcome",)

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="legal_proceedings")
    framework = models.ForeignKey(
        "policies.LegalFramework", on_delete=models.PROTECT, related_name="proceedings"
    )
    provision = models.ForeignKey(
        "policies.Provision", on_delete=models.PROTECT, null=True, blank=True, related_name="proceedings"
    )
    stage = models.CharField(_("stage"), max_length=20, choices=choices.ProceedingStage.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    closed_court = models.BooleanField(_("closed court"), default=False)
    outcome = models.TextField(_("outcome"), blank=True, help_text=FREE_TEXT_HELP)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseRecordQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-started_on"]
        indexes = [models.Index(fields=["case", "stage"], name="proceeding_case_stage_idx")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} since {self.started_on}"

    def clean(self) -> None:
        errors: dict = {}
        today = timezone.localdate()
        if self.started_on and self.started_on > today:
            errors["started_on"] = _("A proceeding cannot start in the future.")
        if self.ended_on:
            if self.ended_on > today:
                errors["ended_on"] = _("This date cannot be in the future.")
            elif self.started_on and self.ended_on < self.started_on:
                errors["ended_on"] = _("A proceeding cannot end before it started.")
        if self.stage in choices.FINAL_PROCEEDING_STAGES and not self.ended_on:
            errors["ended_on"] = _("A finished proceeding needs the date it ended.")
        if self.provision_id and self.framework_id and self.provision.framework_id != self.framework_id:
            errors["provision"] = _("This provision is not part of the chosen framework.")
        # On an add page the case is not saved yet but is already attached: check against it too.
        case_known = self.case_id or self._meta.get_field("case").is_cached(self)
        if self.framework_id and case_known:
            # A national framework applies through its country; an agreement through its parties, even
            # when it is recorded under the country that hosts or deposits it.
            case_countries = {self.case.citizenship_id, self.case.residence_country_id}
            framework = self.framework
            applies = (
                framework.country_id in case_countries
                or framework.parties.filter(pk__in=case_countries).exists()
            )
            if not applies:
                errors["framework"] = _(
                    "This framework is not of the case's country of citizenship or residence."
                )
        self.clean_screened_text(errors)
        if errors:
            raise ValidationError(errors)
