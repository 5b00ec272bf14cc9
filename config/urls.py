from django.contrib import admin
from django.urls import path

from casework.views import healthz

admin.site.site_header = "Returnee Casework"
admin.site.site_title = "Returnee Casework"
admin.site.index_title = "Administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
