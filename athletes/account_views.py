"""The set-password pages an athlete's invitation leads to: Django's password-reset views behind the invitation
token, worded for an invitation and ending with the way to the app (FRONTEND_URL) and the username to sign in
with."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from .services import invite_token_generator

# The username of the login whose password was just set, kept in the session only from the form to the done page.
SESSION_USERNAME = "cadence_set_password_username"


class SetPasswordView(auth_views.PasswordResetConfirmView):
    token_generator = invite_token_generator
    success_url = reverse_lazy("set-password-done")
    template_name = "registration/set_password_confirm.html"
    extra_context = {"site_header": "Cadence", "title": "Set your password"}

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[SESSION_USERNAME] = form.user.get_username()
        return response


class SetPasswordDoneView(auth_views.PasswordResetCompleteView):
    template_name = "registration/set_password_complete.html"
    extra_context = {"site_header": "Cadence", "title": "Password set"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["frontend_url"] = settings.FRONTEND_URL
        context["username"] = self.request.session.pop(SESSION_USERNAME, None)
        return context
