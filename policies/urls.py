"""Pages of the policies app: the legal and programme landscape, read by everyone signed in."""

from django.urls import path

from policies import views

app_name = "policies"

urlpatterns = [
    path("", views.index, name="index"),
    path("countries/<str:iso2>/", views.country, name="country"),
    path("frameworks/<int:pk>/", views.framework, name="framework"),
    path("programmes/<int:pk>/", views.programme, name="programme"),
]
