"""Authentication endpoints under /api/v1/auth/."""

from . import views
from .routing import api_path

urlpatterns = [
    api_path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    api_path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    api_path("auth/me/", views.MeView.as_view(), name="auth-me"),
]
