"""A message in a user's inbox."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message in a user's inbox (催办, cards, escalations, tasks), about one subject or none.

    The subject is (`subject_type`, `subject_id`): the subject model's label ("events.event") and
    primary key, without a foreign key, so that any case type can be pointed at (inbox.subjects
    says how to link to each) and a deleted subject takes its messages with it (inbox.subjects)."""

    user = models.ForeignKey(  # indexed by notification_inbox
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=30)
    message = models.CharField(_("message"), max_length=500)
    subject_type = models.CharField(_("about a"), max_length=100, blank=True, default="")
    subject_id = models.BigIntegerField(_("about number"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox"),
            # The messages about one subject (deleting it, its page): the id first, the more selective.
            models.Index(fields=["subject_id", "subject_type"], name="notification_subject"),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def kind_label(self) -> str:
        """The kind as a reader calls it (inbox.kinds)."""
        from .kinds import label_for

        return label_for(self.kind)

    @property
    def subject_url(self) -> str | None:
        """The page of the subject, or None (no subject, or a kind nobody registered)."""
        from .subjects import url_for

        return url_for(self.subject_type, self.subject_id)
