"""Every read of the inbox that is more than a .get()."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification


def notification_list(*, user, unread: bool = False) -> QuerySet[Notification]:
    """`user`'s messages, newest first (over the notification_inbox index)."""
    mine = Notification.objects.filter(user=user)
    if unread:
        mine = mine.filter(read_at__isnull=True)
    return mine.order_by("-created_at", "-id")


def unread_count(*, user) -> int:
    """The badge: `user`'s unread messages (an index-only count on notification_inbox)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
