from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from django.views.defaults import page_not_found

from casework.views import healthz

# Sign-in pages, by the names django.contrib.auth uses. No password reset by e-mail: staff accounts are
# reset by their organisation's administrator.
accounts = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts)),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("casework.api.urls")),
    path("policies/", include("policies.urls")),
    path("reports/", include("casework.reports.urls")),
    path("", include("casework.urls")),
]


def handler404(request, exception):
    """The API answers JSON even for a URL it does not route; pages keep Django's 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
