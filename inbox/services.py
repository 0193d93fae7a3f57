"""Every write to the inbox made from Python (a sweep's SQL writes its messages in bulk itself, in
the same columns, and hands the rows to `notify.deliver` after its commit)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError, transaction
from django.db.models import Model
from django.utils import timezone

from .models import Notification
from .notify import deliver
from .subjects import label

log = logging.getLogger(__name__)

MESSAGE_MAX = 500


def inbox_send(*, users: Iterable[int], kind: str, message: str, subject: Model | None = None) -> list[Notification]:
    """One message to each of `users` (ids, repeats dropped), about `subject`, written under a
    savepoint: a failure is logged and loses the messages, never the caller's transaction. They are
    delivered (the push, SMS for the urgent kinds) after the commit. Returns the rows written."""
    users = list(dict.fromkeys(users))
    if not users:
        return []
    about = {"subject_type": label(subject), "subject_id": subject.pk} if subject is not None else {}
    try:
        with transaction.atomic():
            rows = Notification.objects.bulk_create(
                [Notification(user_id=pk, kind=kind, message=message[:MESSAGE_MAX], **about) for pk in users]
            )
    except DatabaseError:
        log.exception("inbox messages (%s) failed; the caller's work stands", kind)
        return []
    transaction.on_commit(lambda: deliver(rows), robust=True)
    return rows


def inbox_mark_read(*, user, notification_id: int | None = None) -> int:
    """Marks one of `user`'s messages read (or all of them with no id); returns how many changed."""
    mine = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        mine = mine.filter(pk=notification_id)
    return mine.update(read_at=timezone.now())
