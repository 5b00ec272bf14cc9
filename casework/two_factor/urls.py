"""Two-factor sign-in, under /accounts/2fa/ (included by config/urls.py with the namespace two_factor)."""

from django.urls import path

from casework.two_factor import views

app_name = "two_factor"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("setup/", views.enrol, name="enrol"),
    path("reset/<int:user_id>/", views.reset, name="reset"),
]
