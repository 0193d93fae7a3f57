"""Centers, grids, departments, volunteers, the grid duty catalog and the grid's places."""

import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from .choices import DedicatedSubtype, GridKind, Level, PlaceKind, VolunteerCategory

division_code_validator = RegexValidator(r"^\d{12}$", _("A division code has exactly 12 digits."))


class Center(models.Model):
    """A social-governance center (综治中心) covering one administrative area.

    Centers form a tree (city → district → town → community in a city-wide deployment).
    `path` is the materialized path of division codes from the root, ending in "/", so
    that a subtree is one indexed prefix match: `path__startswith=center.path`.
    """

    code = models.CharField(_("division code"), max_length=12, unique=True, validators=[division_code_validator])
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent center"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=400, editable=False, db_index=False)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    boundary = models.MultiPolygonField(_("boundary"), srid=4326, null=True, blank=True)
    calendar = models.ForeignKey(
        "clocks.Calendar",
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("How this center counts time limits. Empty: round the clock."),
    )

    class Meta:
        verbose_name = _("center")
        verbose_name_plural = _("centers")
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="center_path_prefix", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=models.F("pk")), name="center_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.parent_id and self.pk and self.path and self.parent.path.startswith(self.path):
            raise ValidationError({"parent": _("A center cannot be placed under itself or its own descendant.")})

    def save(self, *args, **kwargs) -> None:
        # The path is derived from the parent; descendants follow when a center moves.
        old_path, old_depth = self.path, self.depth
        self.path = f"{self.parent.path if self.parent_id else ''}{self.code}/"
        self.depth = self.path.count("/") - 1
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            Center.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Concat(Value(self.path), Substr("path", len(old_path) + 1)),
                depth=F("depth") + (self.depth - old_depth),
            )

    def ancestors(self) -> models.QuerySet["Center"]:
        """This center's ancestors, root first (one query over the path's codes)."""
        codes = self.path.strip("/").split("/")[:-1]
        return Center.objects.filter(code__in=codes).order_by("depth")


class Department(models.Model):
    """A functional department (职能部门) that handles tickets dispatched to it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=20, blank=True)
    center = models.ForeignKey(
        Center,
        verbose_name=_("center served"),
        on_delete=models.PROTECT,
        related_name="departments",
        help_text=_("The center whose area this department serves (a district bureau serves the district)."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """A grid (网格): the smallest unit of patrol, held by one community center.

    Comprehensive grids (全科) tile a community; dedicated grids (专属) cover a school,
    hospital, market or industrial park inside it and have a subtype.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=GridKind.choices, default=GridKind.COMPREHENSIVE)
    subtype = models.CharField(_("dedicated subtype"), max_length=20, choices=DedicatedSubtype.choices, blank=True)
    center = models.ForeignKey(
        Center,
        verbose_name=_("community center"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=4326)
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("grid workers"), blank=True, related_name="worker_grids"
    )
    police = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("community police"), blank=True, related_name="police_grids"
    )

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=GridKind.COMPREHENSIVE, subtype="") | (Q(kind=GridKind.DEDICATED) & ~Q(subtype=""))),
                name="grid_subtype_iff_dedicated",
                violation_error_message=_("A dedicated grid needs a subtype; a comprehensive grid has none."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class VolunteerOrganization(models.Model):
    """A mass prevention organization (群防群治组织): 义警协会, 物业联盟 …"""

    name = models.CharField(_("name"), max_length=100, unique=True)
    center = models.ForeignKey(
        Center, verbose_name=_("center"), on_delete=models.PROTECT, related_name="volunteer_organizations"
    )

    class Meta:
        verbose_name = _("volunteer organization")
        verbose_name_plural = _("volunteer organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    """A real-name registered volunteer (红袖套). The ID number is kept only masked."""

    real_name = models.CharField(_("real name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    id_number_masked = models.CharField(_("ID number (masked)"), max_length=18)
    id_number_hash = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text=_("Keyed hash of the full ID number: prevents double registration without storing it."),
    )
    category = models.CharField(
        _("category"), max_length=20, choices=VolunteerCategory.choices, default=VolunteerCategory.OTHER
    )
    organization = models.ForeignKey(
        VolunteerOrganization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="volunteers"
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), null=True, blank=True, on_delete=models.SET_NULL, related_name="volunteers"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer",
    )
    active = models.BooleanField(_("active"), default=True)
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.real_name


class DutyCategory(models.Model):
    """One of the categories of the grid duty catalog (网格职责清单)."""

    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("duty category")
        verbose_name_plural = _("duty categories")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class DutyItem(models.Model):
    """One item a grid is responsible for."""

    category = models.ForeignKey(
        DutyCategory, verbose_name=_("category"), on_delete=models.CASCADE, related_name="items"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("duty item")
        verbose_name_plural = _("duty items")
        ordering = ["category__order", "order"]
        constraints = [models.UniqueConstraint(fields=["category", "order"], name="duty_item_order_unique")]

    def __str__(self) -> str:
        return self.name


def new_qr_token() -> str:
    """A random token printed as a QR code at a place's door: unguessable, so a check-in by QR
    proves the patroller stood there (or was sent a photo of the sheet, which the point recorded
    with the check-in shows)."""
    return secrets.token_urlsafe(12)


class Place(models.Model):
    """A place inside a grid that patrols walk past and check in at: a street, a compound or
    courtyard (小区/院落), a building (楼栋) or an entrance (单元). Entrances sit in buildings and
    buildings in compounds (`parent`); each has a point (where one checks in) and may have an outline.

    `code` is the place's own reference in the registry it was imported from (unique in its grid):
    an import names a row's parent by it, and a second import of the same file finds the rows it made."""

    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="places")
    kind = models.CharField(_("kind"), max_length=16, choices=PlaceKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("inside"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    point = models.PointField(_("point"), srid=4326)
    outline = models.PolygonField(_("outline"), srid=4326, null=True, blank=True)
    qr_token = models.CharField(_("QR token"), max_length=32, unique=True, default=new_qr_token, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["grid", "kind", "name"]
        indexes = [models.Index(fields=["grid", "kind"], name="place_grid_kind")]
        constraints = [
            models.UniqueConstraint(fields=["grid", "code"], condition=~Q(code=""), name="place_code_unique_in_grid"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=models.F("pk")), name="place_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name
