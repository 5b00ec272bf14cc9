"""Template filters that ask the access module, so templates never compare role names."""

from django import template

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
