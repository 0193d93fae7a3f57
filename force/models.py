"""The grid force at work: volunteer invitations, the points ledger and its rules, recognitions,
and which event categories each grid duty covers."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import PointKind, RuleKind, SourceType


def invitation_code() -> str:
    """128 random bits, URL-safe: the code is the whole credential of a sign-up link."""
    return secrets.token_urlsafe(16)


class VolunteerInvitation(models.Model):
    """An invitation to sign up as a volunteer (红袖套), made by a grid worker for their grid or by
    a center for a grid or organization of its area. Whoever holds the link (or scans its QR code)
    signs up with their real name; each sign-up uses one of `uses_left`."""

    code = models.CharField(_("code"), max_length=32, unique=True, default=invitation_code, editable=False)
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "grids.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "grids.VolunteerOrganization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    center = models.ForeignKey(
        "grids.Center",
        verbose_name=_("center"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The center the new volunteers' accounts belong to: the grid's community, else the organization's."
        ),
    )
    expires_at = models.DateTimeField(_("expires at"))
    uses_left = models.PositiveIntegerField(_("uses left"), default=1)
    used = models.PositiveIntegerField(_("sign-ups"), default=0)
    revoked = models.BooleanField(_("revoked"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer invitation")
        verbose_name_plural = _("volunteer invitations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["center", "-created_at"], name="invitation_center_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(grid__isnull=False) | Q(organization__isnull=False), name="invitation_names_grid_or_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code[:6]}… ({self.center})"


class PointRule(models.Model):
    """How many points one kind of deed earns (积分规则), edited by administrators. A patrol earns
    its points once it ended with at least `min_check_ins` check-ins."""

    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices, unique=True)
    points = models.PositiveSmallIntegerField(_("points"))
    min_check_ins = models.PositiveSmallIntegerField(
        _("minimum check-ins"), default=1, help_text=_("Patrols only: check-ins needed for the points.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.points}"


class PointEntry(models.Model):
    """One line of a volunteer's points ledger (积分明细). Immutable (the database refuses updates
    and deletes): a wrong award is cancelled by a reversal entry, never edited. One entry per kind
    and source, so that a rule applied twice (a repeated signal, a rebuild) awards once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="point_entries"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PointKind.choices)
    points = models.IntegerField(_("points"))
    source_type = models.CharField(_("source"), max_length=12, choices=SourceType.choices)
    source_id = models.BigIntegerField(_("source id"))
    at = models.DateTimeField(_("at"), help_text=_("When the deed counted (the month it ranks in)."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("point entry")
        verbose_name_plural = _("point entries")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "-at"], name="point_user_at"),
            # Monthly rankings sum a month's entries.
            models.Index(fields=["at"], name="point_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_type", "source_id"], name="point_once_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.points:+d}"


class Recognition(models.Model):
    """A center's commendation of a volunteer (表彰), with a reason and optional bonus points (a
    ledger entry of its own). Shown on the volunteer's page and beside the rankings."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="recognitions"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("commended by"), on_delete=models.PROTECT, related_name="+"
    )
    center = models.ForeignKey("grids.Center", verbose_name=_("center"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    bonus_points = models.PositiveSmallIntegerField(_("bonus points"), default=0)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("recognition")
        verbose_name_plural = _("recognitions")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"], name="recognition_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.reason[:30]}"


class DutyCoverage(models.Model):
    """A grid duty item (网格职责) covers an event category: events of that category (and of its
    subcategories) are what doing the duty finds. Seeded by meaning, edited by administrators."""

    duty = models.ForeignKey(
        "grids.DutyItem", verbose_name=_("duty"), on_delete=models.CASCADE, related_name="coverage"
    )
    category = models.ForeignKey(
        "events.EventCategory", verbose_name=_("event category"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("duty coverage")
        verbose_name_plural = _("duty coverage")
        ordering = ["duty", "category"]
        constraints = [models.UniqueConstraint(fields=["duty", "category"], name="duty_category_once")]

    def __str__(self) -> str:
        return f"{self.duty} → {self.category}"
