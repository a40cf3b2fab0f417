"""The set-password page an athlete's invitation links to: Django's SetPasswordForm behind the invitation
token (one-time, 72 hours), in the admin's look, then a page that leads to the app."""

from django.urls import path

from .account_views import SetPasswordDoneView, SetPasswordView

urlpatterns = [
    path("set-password/<uidb64>/<token>/", SetPasswordView.as_view(), name="set-password"),
    path("set-password/done/", SetPasswordDoneView.as_view(), name="set-password-done"),
]
