"""Volunteers' ID numbers: the mask and the keyed hash together give nothing away to someone without
the hash key, even trying every birth date of the region."""

from datetime import date, timedelta

import pytest
from django.db import connection

from grids.models import Volunteer, VolunteerOrganization
from grids.services import id_number_check_digit, id_number_hash, id_number_mask, volunteer_register

pytestmark = pytest.mark.django_db


def make_id(region: str, born: date, sequence: str) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    return first17 + id_number_check_digit(first17)


def birth_dates():
    day = date(1920, 1, 1)
    while day <= date(2026, 12, 31):
        yield day
        day += timedelta(days=1)


def search(mask: str, digest: str, key: str, sequences: list[str]) -> list[str]:
    """An attacker's search: every birth date (and the given sequences) of the mask's region whose
    number fits the mask and hashes to the digest under `key`."""
    import hashlib
    import hmac

    found = []
    for born in birth_dates():
        for sequence in sequences:
            candidate = make_id(mask[:6], born, sequence)
            if candidate[-1] != mask[-1]:
                continue
            if hmac.new(key.encode(), candidate.encode(), hashlib.sha256).hexdigest() == digest:
                found.append(candidate)
    return found


def test_the_mask_shows_the_region_and_the_check_character_only():
    id_number = make_id("510115", date(1987, 6, 5), "432")
    mask = id_number_mask(id_number)
    assert mask == "510115***********" + id_number[-1]
    assert "19870605" not in mask and "432" not in mask and "87" not in mask


def test_mask_and_hash_cannot_be_reversed_over_every_birth_date_without_the_key(settings):
    settings.ID_HASH_KEY = "a-deployment-secret-nobody-outside-has-" + "k" * 20
    organization = VolunteerOrganization.objects.first()
    id_number = make_id("510115", date(1987, 6, 5), "432")
    volunteer = volunteer_register(real_name="赵六", phone="1", id_number=id_number, organization=organization)
    volunteer.refresh_from_db()
    mask, digest = volunteer.id_number_masked, volunteer.id_number_hash
    # Even granting the attacker the sequence digits (the old mask showed them), every birth date of
    # the region under every key he could know — SECRET_KEY, the development defaults, none — finds nothing.
    for guessed_key in [settings.SECRET_KEY, settings.DEFAULT_ID_HASH_KEY, ""]:
        assert search(mask, digest, guessed_key, ["432"]) == []
    # The same search with the real key does find it: the search itself is sound, the key is what protects.
    assert search(mask, digest, settings.ID_HASH_KEY, ["432"]) == [id_number]


def test_the_hash_does_not_depend_on_secret_key(settings):
    id_number = make_id("510115", date(1990, 1, 2), "123")
    before = id_number_hash(id_number)
    settings.SECRET_KEY = "rotated-" + "s" * 50
    assert id_number_hash(id_number) == before


def test_the_migration_re_masks_stored_rows_without_the_full_numbers():
    from importlib import import_module

    migration = import_module("grids.migrations.0003_volunteer_id_masks_hide_the_sequence")
    volunteer = Volunteer.objects.first()
    Volunteer.objects.filter(pk=volunteer.pk).update(id_number_masked="510115********123X")
    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)
    volunteer.refresh_from_db()
    assert volunteer.id_number_masked == "510115***********X"
    assert not Volunteer.objects.exclude(id_number_masked__regex=r"^\d{6}\*{11}[0-9X]$").exists()
