"""Cadence URLs: the admin, the API under /api/v1/, its schema and docs, and /health/*."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", include("health.urls")),
    path("api/v1/", include("core.urls")),
    path("api/v1/", include("athletes.urls")),
    path("api/v1/", include("training.urls")),
    path("api/v1/", include("connections.urls")),
    path("api/v1/", include("health.api_urls")),
]
