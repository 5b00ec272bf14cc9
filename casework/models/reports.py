"""Saved report definitions: a name, a report and its parameters, run in one click from /reports/."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.choices import ReportName


class SavedReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> SavedReportQuerySet:
        """What the admin lists: every definition for system administrators, their organisation's for
        organisation administrators."""
        from casework import access

        return access.restrict_saved_reports(self, user, managing=True)

    def offered_to(self, user) -> SavedReportQuerySet:
        """What /reports/ lists: definitions for everyone and those of the user's organisation."""
        from casework import access

        return access.restrict_saved_reports(self, user)


class SavedReport(models.Model):
    name = models.CharField(_("name"), max_length=120)
    report = models.CharField(_("report"), max_length=30, choices=ReportName.choices)
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_(
            'As the report\'s URL takes them, e.g. {"organisation": "ngo-a", "from": "2026-01-01", '
            '"to": "2026-06-30"} for a caseload report, {"country": "KZ"} for a country brief.'
        ),
    )
    organisation = models.ForeignKey(
        "casework.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_reports",
        verbose_name=_("organisation"),
        help_text=_("Offered to this organisation's users only; empty: to everyone who may run the report."),
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

    objects = SavedReportQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="saved_report_name_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The parameters must be the report's own and well-formed: checked with the report's form, as
        the report's URL would be. A definition offered to one organisation reports on that one."""
        from casework.reports.registry import REPORTS

        kind = REPORTS.get(self.report)
        if kind is None:
            return  # the choices already name the field
        if not isinstance(self.parameters, dict):
            raise ValidationError({"parameters": _("Give the parameters as an object of names and values.")})
        form = kind.form_class(data=None, any_organisation=True)
        unknown = sorted(set(self.parameters) - set(form.fields))
        if unknown:
            raise ValidationError(
                {
                    "parameters": _("Not a parameter of this report: %(names)s. It takes %(known)s.")
                    % {"names": ", ".join(unknown), "known": ", ".join(form.fields)}
                }
            )
        # A URL's query string holds text only; a number or a list would fail inside the form's fields.
        not_text = sorted(
            name for name, value in self.parameters.items() if not isinstance(value, str | None)
        )
        if not_text:
            raise ValidationError(
                {
                    "parameters": _("Give these parameters as text: %(names)s.")
                    % {"names": ", ".join(not_text)}
                }
            )
        checked = kind.form_class(data=self.parameters, any_organisation=True)
        if "organisation" in checked.fields and self.organisation_id is not None:
            field = checked.fields["organisation"]
            field.queryset = field.queryset.filter(pk=self.organisation_id)
        if not checked.is_valid():
            errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in checked.errors.items())
            raise ValidationError({"parameters": errors})
