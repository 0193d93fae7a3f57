"""Hooks from Django's own events into the accounts services: a user saved with a new password,
deactivated or moved, deleted, or signed out. They only detect the change; what follows is decided in
`accounts.services.user_changed` / `user_signed_out`."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from . import services
from .models import User

_WATCHED = sorted(services.CREDENTIAL_FIELDS | services.PLACE_FIELDS)
# update_fields may name a foreign key by its field name or its attname.
_WATCHED_NAMES = {*_WATCHED, *(name.removesuffix("_id") for name in _WATCHED)}


@receiver(pre_save, sender=User)
def _remember_watched_fields(sender, instance: User, raw=False, update_fields=None, **kwargs):
    instance._watched_before = None
    if raw or instance.pk is None:
        return
    if update_fields is not None and not _WATCHED_NAMES.intersection(update_fields):
        return  # e.g. the last_login stamp of every sign-in: no query
    instance._watched_before = User.objects.filter(pk=instance.pk).values(*_WATCHED).first()


@receiver(post_save, sender=User)
def _act_on_watched_changes(sender, instance: User, created=False, raw=False, **kwargs):
    before = getattr(instance, "_watched_before", None)
    instance._watched_before = None
    if raw or created or before is None:
        return
    changed = {name for name in _WATCHED if getattr(instance, name) != before[name]}
    if changed:
        services.user_changed(user=instance, changed=changed)


@receiver(post_delete, sender=User)
def _close_sockets_of_deleted_user(sender, instance: User, **kwargs):
    services.user_sockets_close(user_id=instance.pk, reason="deleted")


@receiver(user_logged_out)
def _close_sockets_on_sign_out(sender, request, user, **kwargs):
    if user is not None:
        services.user_signed_out(user=user)
