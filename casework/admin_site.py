from django.contrib import admin

from casework import access


class CaseworkAdminSite(admin.AdminSite):
    site_header = "Returnee Casework"
    site_title = "Returnee Casework"
    index_title = "Administration"

    def has_permission(self, request) -> bool:
        """The admin is for system administrators, organisation administrators and auditors."""
        return access.may_use_admin(request.user)
