"""What each kind of inbox message is called on the page: each case type registers the kinds it sends
(in its AppConfig's ready), as it registers its subjects. An unregistered kind reads "Message",
never a code."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_LABELS: dict[str, str | Promise] = {}
FALLBACK = _("Message")


def register(labels: dict[str, str | Promise]) -> None:
    _LABELS.update(labels)


def label_for(kind: str) -> str:
    return str(_LABELS.get(kind, FALLBACK))


def registered() -> dict[str, str | Promise]:
    return dict(_LABELS)
