"""Template helpers of the report pages (templates/reports/)."""

from __future__ import annotations

from datetime import date, datetime
from numbers import Number

from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html

from casework.reports.tables import SUPPRESSED

register = template.Library()


@register.filter
def report_cell(value):
    """One table cell: a suppressed count marked so it reads (and prints) as such, numbers localised,
    dates in ISO form (times in local time), None as a dash; everything else escaped text."""
    if value is SUPPRESSED:
        return format_html('<span class="suppressed">{}</span>', str(SUPPRESSED))
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Number):
        return number_format(value, decimal_pos=1 if isinstance(value, float) else None)
    if isinstance(value, datetime):
        # In local time, as the spreadsheets have it (they cannot hold a time zone).
        return (timezone.localtime(value) if timezone.is_aware(value) else value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


@register.filter
def is_number(value) -> bool:
    return value is SUPPRESSED or (isinstance(value, Number) and not isinstance(value, bool))


@register.filter
def has_suppressed(report) -> bool:
    """Whether any table of the report went through disclosure control (the page then explains it)."""
    return any(table.suppressed for table in getattr(report, "tables", ()))


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
