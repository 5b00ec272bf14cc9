from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error

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
    path("accounts/2fa/", include("casework.two_factor.urls")),  # two-factor sign-in (issue 7)
    path("accounts/", include(accounts)),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("casework.api.urls")),
    path("policies/", include("policies.urls")),
    path("reports/", include("casework.reports.urls")),
    path("exports/", include("casework.export_jobs.urls")),  # background exports (issue 8)
    path("", include("casework.urls")),
]


def handler404(request, exception):
    """The API answers JSON even for a URL it does not route; pages keep Django's 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


# The other errors Django itself answers (outside a DRF view: an exception, a refused Host, a forbidden
# request) keep the API's JSON too; pages get templates/400.html, 403.html, 500.html. Neither says why.
def handler400(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return bad_request(request, exception)


def handler403(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return permission_denied(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return server_error(request)
