"""A changed password revokes every API token of the user (whoever changed it: the admin, a reset, a shell)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from knox.models import AuthToken


@receiver(pre_save, sender=get_user_model())
def _note_password_change(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return  # new users have no tokens; logins save only last_login
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._cadence_password_changed = stored is not None and stored != instance.password


@receiver(post_save, sender=get_user_model())
def _revoke_tokens_after_password_change(sender, instance, created, raw=False, **kwargs):
    if getattr(instance, "_cadence_password_changed", False):
        AuthToken.objects.filter(user=instance).delete()
        instance._cadence_password_changed = False
