"""Writes for the grids app."""

from __future__ import annotations

import hashlib
import hmac

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
