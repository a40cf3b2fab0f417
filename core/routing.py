"""URL patterns under /api/ that answer with and without their trailing slash, and are never redirected.

Django's APPEND_SLASH answers `POST /api/v1/sessions` with a 301 (a browser re-sends it as a GET, so the write is
lost) and, with DEBUG on, with a RuntimeError (a 500). An API route here matches the path as written and, when the
path lacks the slash its route ends with, the path with that slash appended. The pattern itself stays the canonical
one (with the slash): `reverse()` and the OpenAPI schema show each route once, with its slash, and path converters
(`<uuid:pk>`) keep converting. APPEND_SLASH stays on for the admin and the pages outside the API.
"""

from django.urls import URLPattern
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.routers import SimpleRouter

from core.permissions import require_role_permission


class _OptionalSlashMatch:
    """Matches `path` as written, else `path + "/"` when the pattern is a view's whose route ends with a slash."""

    def __init__(self, route, name=None, is_endpoint=False):
        super().__init__(route, name=name, is_endpoint=is_endpoint)
        self._slash_optional = is_endpoint and str(route).removesuffix("$").endswith("/")

    def match(self, path):
        match = super().match(path)
        if match is None and self._slash_optional and not path.endswith("/"):
            match = super().match(path + "/")
        return match


class OptionalSlashRoutePattern(_OptionalSlashMatch, RoutePattern):
    """`path()`'s pattern (converters and all), with the trailing slash optional."""


class OptionalSlashRegexPattern(_OptionalSlashMatch, RegexPattern):
    """`re_path()`'s pattern, with the trailing slash optional."""


def api_path(route: str, view, kwargs: dict | None = None, name: str | None = None) -> URLPattern:
    """`django.urls.path(route, view, kwargs, name)` for a view (not an include) whose route ends with `/`, answering
    without the slash too. A DRF view that names no role permission is refused (core.permissions.OPEN_VIEWS lists
    the views open on purpose)."""
    if not route.endswith("/"):
        raise ValueError(f"API routes end with a slash (it is made optional): {route!r}")
    if hasattr(view, "cls"):  # a DRF view: it names a role permission, or OPEN_VIEWS says why it need not
        require_role_permission(view.cls, getattr(view, "initkwargs", None), where=f"The view at {route!r}")
    return URLPattern(OptionalSlashRoutePattern(route, name=name, is_endpoint=True), view, kwargs, name)


class OptionalSlashRouter(SimpleRouter):
    """DRF's SimpleRouter (`trailing_slash=True`, regex routes) whose routes answer without the slash too.

    DRF itself turns any true `trailing_slash` (`"/?"` included) into `"/"`, and a `/?` regex would make `reverse()`
    build the slashless form; wrapping the finished patterns keeps the canonical URL and the schema as they were.

    A viewset is registered only when it names a role permission (core.permissions.require_role_permission): one
    left with the inherited default, or with only "signed in" / "anyone", is refused with ImproperlyConfigured
    when the URLconf loads."""

    def register(self, prefix, viewset, basename=None):
        require_role_permission(viewset, where=f"The viewset routed at {prefix!r}")
        super().register(prefix, viewset, basename)

    def get_urls(self):
        return [
            URLPattern(
                OptionalSlashRegexPattern(str(url.pattern), name=url.pattern.name, is_endpoint=True),
                url.callback,
                url.default_args,
                url.name,
            )
            for url in super().get_urls()
        ]
