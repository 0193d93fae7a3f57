"""Volunteer registration and the center tree's paths."""

import pytest
from django.core.exceptions import ValidationError

from grids.choices import Level
from grids.models import Center, Grid, Volunteer, VolunteerOrganization
from grids.services import id_number_check_digit, id_number_mask, volunteer_register

pytestmark = pytest.mark.django_db


def valid_id(first17="51011519800101123"):
    return first17 + id_number_check_digit(first17)


def test_the_check_digit_follows_gb_11643():
    # A published example number of the standard's form: 11010519491231002X.
    assert id_number_check_digit("11010519491231002") == "X"


def test_registration_keeps_only_the_masked_id_number():
    organization = VolunteerOrganization.objects.get(name="万春镇义警协会")
    volunteer = volunteer_register(
        real_name=" 张三 ", phone="13800000000", id_number=valid_id(), organization=organization
    )
    volunteer.refresh_from_db()
    assert volunteer.real_name == "张三"
    assert volunteer.id_number_masked == "510115***********" + valid_id()[-1:]
    assert valid_id() not in str(Volunteer.objects.filter(pk=volunteer.pk).values().get())


@pytest.mark.parametrize(
    "bad", ["", "123", "51011519800101123Y", valid_id()[:-1] + "0" if valid_id()[-1] != "0" else valid_id()[:-1] + "1"]
)
def test_bad_id_numbers_are_refused(bad):
    organization = VolunteerOrganization.objects.first()
    with pytest.raises(ValidationError) as error:
        volunteer_register(real_name="李四", phone="1", id_number=bad, organization=organization)
    assert "id_number" in error.value.message_dict


def test_the_same_person_cannot_register_twice():
    organization = VolunteerOrganization.objects.first()
    volunteer_register(real_name="王五", phone="1", id_number=valid_id(), organization=organization)
    with pytest.raises(ValidationError):
        volunteer_register(real_name="王五", phone="1", id_number=valid_id().lower(), organization=organization)
    assert Volunteer.objects.filter(real_name="王五").count() == 1


def test_id_mask_shape():
    assert id_number_mask("11010519491231002X") == "110105***********X"


def test_moving_a_center_moves_its_subtree():
    community = Center.objects.get(name="城武社区")
    grids = set(Grid.objects.filter(center=community))
    new_town = Center.objects.get(name="柳城街道")
    community.parent = new_town
    community.save()
    community.refresh_from_db()
    assert community.path == new_town.path + community.code + "/"
    assert set(Grid.objects.filter(center__path__startswith=new_town.path, center=community)) == grids


def test_a_new_city_level_fits_above_the_district():
    district = Center.objects.get(level=Level.DISTRICT)
    city = Center.objects.create(code="510100000000", name="成都市", level=Level.CITY)
    district.parent = city
    district.save()
    hangtianlu = Center.objects.get(name="航天路社区")
    assert hangtianlu.path.startswith(city.path + district.code + "/")
    assert hangtianlu.depth == 3
    assert [c.name for c in hangtianlu.ancestors()] == ["成都市", "温江区", "柳城街道"]


def test_a_center_cannot_move_under_its_own_descendant():
    town = Center.objects.get(name="柳城街道")
    town.parent = Center.objects.get(name="航天路社区")
    with pytest.raises(ValidationError):
        town.full_clean()
