"""Template filters that ask the access module, so templates never compare role names, and that label
choices quickly."""

import functools
from typing import Any

from django import template
from django.db import models

from casework import access
from casework.access import reads_case_pages as _reads_case_pages

register = template.Library()


@register.filter
def may_use_admin(user) -> bool:
    """`{% if user|may_use_admin %}`: the Django admin is for system and organisation administrators
    and auditors."""
    return access.may_use_admin(user)


@register.filter
def reads_case_pages(user) -> bool:
    """`{% if user|reads_case_pages %}`: whether the case list and case pages are for this user."""
    return _reads_case_pages(user)


@functools.cache
def _choice_labels(model: type[models.Model], field_name: str) -> dict[Any, Any]:
    return dict(model._meta.get_field(field_name).flatchoices)


@register.filter
def choice_label(obj: models.Model, field_name: str) -> Any:
    """`{{ case|choice_label:"status" }}` says what `case.get_status_display` says, from a dictionary
    built once per field: the model's method rebuilds the field's whole dictionary of choices on every
    call, 150 times for a page of the case list. The label stays lazy, so it is in the reader's language."""
    value = getattr(obj, field_name)
    return _choice_labels(obj._meta.concrete_model, field_name).get(value, value)
