"""The set-password page an athlete's invitation links to: Django's SetPasswordForm behind the invitation
token (one-time, 72 hours), in the admin's look."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from .services import invite_token_generator

urlpatterns = [
    path(
        "set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            token_generator=invite_token_generator,
            success_url=reverse_lazy("set-password-done"),
            extra_context={"site_header": "Cadence", "title": "Set your password"},
        ),
        name="set-password",
    ),
    path(
        "set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/set_password_complete.html",
            extra_context={"site_header": "Cadence", "title": "Password set"},
        ),
        name="set-password-done",
    ),
]
