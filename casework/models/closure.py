"""Closing a case: a caseworker asks, a supervisor approves or returns the request."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework import choices
from casework.models.querysets import CaseRecordQuerySet
from casework.models.screened import ScreenedTextMixin


class ClosureRequest(ScreenedTextMixin, models.Model):
    """One request to close a case and, once decided, the supervisor's decision.

    A case has at most one pending request (decision empty); returned requests stay as history, so
    the caseworker sees why and can ask again.
    """

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    screened_fields = ("note", "decision_note")

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="closure_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    reason = models.CharField(_("closure reason"), max_length=30, choices=choices.ClosureReason.choices)
    note = models.TextField(
        _("why the case can be closed"),
        blank=True,
        help_text=_("Do not record names, ID numbers, phone numbers, addresses or dates of birth."),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(
        _("supervisor's note"),
        blank=True,
        help_text=_("Do not record names, ID numbers, phone numbers, addresses or dates of birth."),
    )

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(decision=""), name="closure_one_pending_request_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"Closure request ({self.get_decision_display() or _('pending')})"

    @property
    def is_pending(self) -> bool:
        return not self.decision

    def clean(self) -> None:
        errors: dict = {}
        if self.decision and not (self.decided_by_id and self.decided_at):
            errors["decision"] = _("A decision records who decided and when.")
        if self.decision == self.Decision.RETURNED and not (self.decision_note or "").strip():
            errors["decision_note"] = _("Say why the request is returned, so the caseworker can act on it.")
        self.clean_screened_text(errors)
        if errors:
            raise ValidationError(errors)
