"""What an inbox message can be about: each case type registers its model here (in its AppConfig's
ready), with the page a message about one of its objects links to."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model
from django.db.models.signals import post_delete

_URLS: dict[str, Callable[[int], str]] = {}


def label(model: type[Model] | Model) -> str:
    """A subject type as stored in the inbox: the model's lower-case label, e.g. "events.event"."""
    return model._meta.label_lower


def register(model: type[Model], *, url: Callable[[int], str]) -> None:
    """Messages may be about `model`'s objects; `url(pk)` is the page of one (no query: the inbox
    page and the pushes build links for many messages at once). Deleting an object deletes the
    messages about it."""
    _URLS[label(model)] = url
    post_delete.connect(_forget, sender=model, dispatch_uid=f"inbox-subject-{label(model)}", weak=False)


def url_for(subject_type: str, subject_id: int | None) -> str | None:
    url = _URLS.get(subject_type)
    return url(subject_id) if url is not None and subject_id is not None else None


def _forget(sender, instance, **kwargs) -> None:
    from .models import Notification

    Notification.objects.filter(subject_id=instance.pk, subject_type=label(sender)).delete()
