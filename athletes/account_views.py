"""The set-password pages an athlete's invitation leads to: Django's password-reset views behind the invitation
token, worded for an invitation and ending with the way to the app (FRONTEND_URL) and the username to sign in
with."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse_lazy

from .services import athlete_invitee_check, invite_token_generator

# The username of the login whose password was just set, kept in the session only from the form to the done page.
SESSION_USERNAME = "cadence_set_password_username"


class SetPasswordView(auth_views.PasswordResetConfirmView):
    token_generator = invite_token_generator
    success_url = reverse_lazy("set-password-done")
    template_name = "registration/set_password_confirm.html"
    extra_context = {"site_header": "Cadence", "title": "Set your password"}

    def form_valid(self, form):
        # The link was judged when the request arrived (the token is bound to the login holding no password and
        # no staff rights); judge it again under the login's row lock, so that a password set or a right
        # granted meanwhile cannot be overwritten by, or handed to, whoever holds the link.
        with transaction.atomic():
            try:
                login = athlete_invitee_check(user_id=self.user.pk)
            except ValidationError:
                return self._invalid_link()
            session_token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN)
            if not self.token_generator.check_token(login, session_token):
                return self._invalid_link()
            form.user = login  # the fresh row: saving the stale one would undo changes made since it was read
            response = super().form_valid(form)
        self.request.session[SESSION_USERNAME] = form.user.get_username()
        return response

    def _invalid_link(self):
        """The page a used or expired link shows, and the link's token forgotten."""
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        self.validlink = False
        return self.render_to_response(self.get_context_data())


class SetPasswordDoneView(auth_views.PasswordResetCompleteView):
    template_name = "registration/set_password_complete.html"
    extra_context = {"site_header": "Cadence", "title": "Password set"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["frontend_url"] = settings.FRONTEND_URL
        context["username"] = self.request.session.pop(SESSION_USERNAME, None)
        return context
