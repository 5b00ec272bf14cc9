"""Model validation that keeps identifiers out of free text."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from casework import screening


class ScreenedTextMixin:
    """Refuses free text that looks like it identifies someone, unless the user confirmed it does not.

    `screened_fields` names the free-text fields. A form that has shown the user the warning and
    received their explicit confirmation sets `identifiers_confirmed = True` on the instance before
    validation; nothing else should.
    """

    screened_fields: tuple[str, ...] = ()
    identifiers_confirmed = False

    def screening_findings(self) -> dict[str, list[screening.Finding]]:
        found = {}
        for field in self.screened_fields:
            findings = screening.screen(getattr(self, field) or "")
            if findings:
                found[field] = findings
        return found

    def clean_screened_text(self, errors: dict) -> None:
        if self.identifiers_confirmed:
            return
        for field, findings in self.screening_findings().items():
            errors.setdefault(field, []).append(
                ValidationError(
                    _(
                        "This text looks like it contains %(what)s. Remove it, or confirm that it "
                        "does not identify anyone."
                    ),
                    code="possible_identifier",
                    params={"what": screening.describe(findings)},
                )
            )
