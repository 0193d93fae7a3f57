"""Writes for the grids app."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import VolunteerCategory
from .models import Grid, Volunteer, VolunteerOrganization

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of a resident ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def id_number_validate(id_number: str) -> str:
    """The normalized 18-character ID number, or ValidationError with a message."""
    value = (id_number or "").strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise ValidationError({"id_number": _("A resident ID number has 17 digits and a check digit or X.")})
    if id_number_check_digit(value[:17]) != value[17]:
        raise ValidationError({"id_number": _("The ID number's check digit is wrong.")})
    return value


def id_number_mask(id_number: str) -> str:
    """Keeps the region code and the check character only: 510115***********X.

    The birth date (8 digits) and the sequence (3 digits, the last giving the sex) are hidden
    entirely: with the old mask (region + last four) only the birth date was unknown, a few tens of
    thousands of candidates, which a leaked mask and hash (with a known key) gave up in a second."""
    return f"{id_number[:6]}{'*' * 11}{id_number[-1:]}"


def id_number_hash(id_number: str) -> str:
    """HMAC-SHA256 of the full number under ID_HASH_KEY, a key of its own: rotating SECRET_KEY
    (sessions, signing) must not change the hashes and break duplicate detection, and the hash can
    only be checked against a guess by someone who holds this key. ID numbers have little entropy
    (region × birth date × sequence), so an unkeyed or known-key hash would be reversed by search."""
    return hmac.new(settings.ID_HASH_KEY.encode(), id_number.encode(), hashlib.sha256).hexdigest()


def volunteer_identity(id_number: str, *, exclude_pk: int | None = None) -> tuple[str, str]:
    """(mask, keyed hash) of a valid ID number not yet registered by another volunteer;
    ValidationError otherwise. The full number is never stored."""
    value = id_number_validate(id_number)
    digest = id_number_hash(value)
    if Volunteer.objects.filter(id_number_hash=digest).exclude(pk=exclude_pk).exists():
        raise ValidationError({"id_number": _("A volunteer with this ID number is already registered.")})
    return id_number_mask(value), digest


def volunteer_register(
    *,
    real_name: str,
    phone: str,
    id_number: str,
    organization: VolunteerOrganization,
    grid: Grid | None = None,
    category: str = VolunteerCategory.OTHER,
    user=None,
) -> Volunteer:
    """Registers a volunteer by real name (a second registration of the same person is refused),
    optionally with the account they sign in with (force.services.volunteer_join)."""
    masked, digest = volunteer_identity(id_number)
    return Volunteer.objects.create(
        real_name=real_name.strip(),
        phone=phone.strip(),
        id_number_masked=masked,
        id_number_hash=digest,
        organization=organization,
        grid=grid,
        category=category,
        user=user,
    )


PLACE_IMPORT_ROLES = frozenset({"admin", "center_staff", "duty_officer", "duty_leader"})


def may_import_places(user) -> bool:
    """Center staff and administrators import the places of their area's grids."""
    return user.is_superuser or user.role in PLACE_IMPORT_ROLES


def place_import(*, file, actor) -> dict:
    """Imports the places of a .csv, .xlsx or GeoJSON file (grids.places for the columns), all or
    nothing: every row is checked first, and any error (with its row number) refuses the whole file
    with ValidationError({"rows": ["row 3: …", …]}). A row whose (grid, code) exists updates that
    place; others are created. A point outside the named grid is an error. Only center staff and
    administrators import, into the grids of their area. Returns {"created": n, "updated": n}."""
    from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point, Polygon
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    from accounts.scope import scope_for

    from . import places as reader
    from .models import Place

    if not may_import_places(actor):
        raise PermissionDenied(_("Only center staff import places."))
    name = getattr(file, "name", "")
    data = file.read()
    try:
        rows = reader.read_rows(name, data)
    except reader.UnreadableFile as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    if not rows:
        raise ValidationError({"file": [_("The file has no rows.")]})
    if len(rows) > reader.MAX_ROWS:
        raise ValidationError({"file": [_("At most %(n)d places in one file.") % {"n": reader.MAX_ROWS}]})
    grid_codes = {row.get("grid", "") for _n, row in rows}
    grids = {g.code: g for g in scope_for(actor).grids().filter(code__in=grid_codes)}
    errors: list[str] = []
    built: list[tuple[int, dict]] = []
    seen: set[tuple[str, str]] = set()

    def fail(number: int, message: str) -> None:
        errors.append(_("row %(n)d: %(m)s") % {"n": number, "m": message})

    for number, row in rows:
        grid = grids.get(row.get("grid", ""))
        if grid is None:
            fail(number, _("no grid with code “%(c)s” in your area") % {"c": row.get("grid", "")})
            continue
        kind = reader.KIND_WORDS.get(row.get("kind", "").lower()) or reader.KIND_WORDS.get(row.get("kind", ""))
        if kind is None:
            fail(number, _("unknown kind “%(k)s”") % {"k": row.get("kind", "")})
            continue
        place_name = row.get("name", "")
        if not place_name or len(place_name) > 100:
            fail(number, _("a name of 1 to 100 characters is needed"))
            continue
        code = row.get("code", "")[:40]
        if code and (grid.code, code) in seen:
            fail(number, _("the code “%(c)s” appears twice in this grid") % {"c": code})
            continue
        seen.add((grid.code, code))
        outline = None
        point = None
        try:
            geometry = row.get("geometry")
            if geometry:
                geom = GEOSGeometry(json.dumps(geometry), srid=4326)
                if isinstance(geom, Polygon):
                    outline = geom
                elif isinstance(geom, Point):
                    point = geom
                else:
                    raise ValueError(_("the geometry must be a Point or a Polygon"))
            if row.get("outline"):
                text = row["outline"]
                geom = GEOSGeometry(text if not isinstance(text, dict) else json.dumps(text), srid=4326)
                if not isinstance(geom, Polygon):
                    raise ValueError(_("the outline must be a polygon"))
                outline = geom
            if row.get("lat", "") != "" and row.get("lng", "") != "":
                lat, lng = float(row["lat"]), float(row["lng"])
                if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                    raise ValueError(_("lat and lng are not a position on Earth"))
                point = Point(lng, lat, srid=4326)
            if point is None and outline is not None:
                point = outline.point_on_surface
            if point is None:
                raise ValueError(_("a position (lat and lng, or a geometry) is needed"))
        except (ValueError, TypeError, GEOSException) as exc:
            fail(number, str(exc) if isinstance(exc, ValueError) else _("the geometry cannot be read"))
            continue
        if not grid.boundary.covers(point):
            fail(number, _("the point lies outside grid %(g)s") % {"g": grid.code})
            continue
        built.append(
            (
                number,
                {
                    "grid": grid,
                    "code": code,
                    "kind": kind,
                    "name": place_name,
                    "address": row.get("address", "")[:200],
                    "point": point,
                    "outline": outline,
                    "parent": row.get("parent", ""),
                },
            )
        )
    # Parents: a code in the same grid, in this file or already stored, of the kind that holds it.
    stored = {
        (p.grid_id, p.code): p
        for p in Place.objects.filter(grid__in=list(grids.values())).exclude(code="").only("pk", "grid", "code", "kind")
    }
    in_file = {(b["grid"].pk, b["code"]): b["kind"] for _n, b in built if b["code"]}
    for number, b in built:
        if not b["parent"]:
            continue
        key = (b["grid"].pk, b["parent"])
        parent_kind = in_file.get(key) or (stored[key].kind if key in stored else None)
        if parent_kind is None:
            fail(number, _("no place with code “%(c)s” in this grid to be inside of") % {"c": b["parent"]})
        elif parent_kind not in reader.PARENT_KINDS[b["kind"]]:
            fail(number, _("a %(kind)s cannot be inside a %(parent)s") % {"kind": b["kind"], "parent": parent_kind})
    if errors:
        errors.sort(key=lambda e: int("".join(ch for ch in e.split(":")[0] if ch.isdigit()) or 0))
        raise ValidationError({"rows": errors})
    created = updated = 0
    with transaction.atomic():
        by_key: dict[tuple[int, str], Place] = {}
        made: list[Place] = []
        for _n, b in built:
            key = (b["grid"].pk, b["code"])
            place = stored.get(key) if b["code"] else None
            values = {k: b[k] for k in ("kind", "name", "address", "point", "outline")}
            if place is not None:
                place = Place.objects.get(pk=place.pk)
                for field, value in values.items():
                    setattr(place, field, value)
                place.save()
                updated += 1
            else:
                place = Place.objects.create(grid=b["grid"], code=b["code"], **values)
                created += 1
            made.append(place)
            if b["code"]:
                by_key[key] = place
        for (_n, b), place in zip(built, made, strict=True):
            if b["parent"]:
                key = (b["grid"].pk, b["parent"])
                place.parent = by_key.get(key) or stored[key]
                place.save(update_fields=["parent"])
    return {"created": created, "updated": updated}
