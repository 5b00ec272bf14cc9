"""Admins of other apps, under the same access rules as ours.

django-axes' records of sign-in attempts and lockouts are for system administrators, who read them and
lift a lockout by deleting the attempt (access area "sign_in_records"); the admins axes registers are
replaced by the same classes with our permissions. Django's auth groups are not in the admin at all:
roles are data on the user, and no rule reads groups or per-user permissions.
"""

from axes import admin as axes_admin  # noqa: F401 - registers axes' admins, so they can be replaced
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import admin as auth_admin  # noqa: F401 - registers Group, so it can be removed
from django.contrib.auth.models import Group

from casework.access import AdminArea
from casework.admin.base import RoleAccessMixin


class SignInRecordsAccess(RoleAccessMixin):
    admin_area = AdminArea.SIGN_IN_RECORDS


for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        registered = type(admin.site.get_model_admin(model))
        admin.site.unregister(model)
        admin.site.register(model, type(registered.__name__, (SignInRecordsAccess, registered), {}))

if admin.site.is_registered(Group):
    admin.site.unregister(Group)
