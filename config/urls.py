"""Cadence URLs: the admin, the API under /api/v1/, its schema and docs, and /health/*."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from connections.metrics import metrics_view
from core.routing import api_path
from core.throttle import admin_login

urlpatterns = [
    # Failed admin logins are throttled like the API's (core.throttle); before admin.site.urls so it wins.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("account/", include("athletes.account_urls")),
    path("health/", include("health.urls")),
    path("calendar/", include("calendars.feed_urls")),
    # Token-guarded, never a session: CSRF does not apply (a write method is a 405 after the token check).
    path("metrics", csrf_exempt(metrics_view), name="metrics"),
    # Everything under /api/ answers with and without its trailing slash (core.routing).
    api_path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    api_path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("core.urls")),
    path("api/v1/", include("athletes.urls")),
    path("api/v1/", include("training.urls")),
    path("api/v1/", include("calendars.urls")),
    path("api/v1/", include("connections.urls")),
    path("api/v1/", include("health.api_urls")),
    path("api/v1/", include("wellness.urls")),
    path("api/v1/", include("privacy.urls")),
    path("api/v1/", include("webhooks.urls")),
]

# JSON, not Django's HTML pages, for unmatched paths and crashes: API clients always get JSON.
handler404 = "core.views.json_404"
handler500 = "core.views.json_500"
