from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        # Connects the receivers that audit signing in and out.
        from casework import middleware, signin  # noqa: F401


class CaseworkAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with a site that admits users by role (see casework/admin_site.py)."""

    default = False
    default_site = "casework.admin_site.CaseworkAdminSite"
