"""GB/T 28181 codes: parsed into their parts, refused with the reason, mapped to division codes."""

import pytest

from video.domain import gbcode

WENJIANG_IPC = "51011501001320000123"  # 510115 温江区, base unit 01 (柳城街道), industry 00, IPC 132, network 0


def test_a_camera_code_is_parsed_into_its_parts():
    code = gbcode.parse_camera(WENJIANG_IPC)
    assert (code.civil, code.industry, code.type, code.network, code.serial) == ("51011501", "00", "132", "0", "000123")
    assert code.county == "510115" and code.province == "51"
    assert code.type_name == "IPC" and code.is_camera
    assert code.network_name == "video private network"


def test_spaces_around_a_code_are_ignored():
    assert gbcode.parse(f"  {WENJIANG_IPC}\n").code == WENJIANG_IPC


@pytest.mark.parametrize(
    "code, problem",
    [
        ("", "format"),
        ("5101150100132000012", "format"),  # 19 digits
        ("510115010013200001234", "format"),  # 21 digits
        ("5101150100132000012A", "format"),
        ("５１０１１５０１００１３２００００１２３", "format"),  # full-width digits are not ASCII digits
        ("00011501001320000123", "civil"),  # province 00
        ("99011501001320000123", "civil"),  # province 99
        ("51001501001320000123", "civil"),  # a county without a city
        ("51011501009990000123", "type"),  # 999 is no device type
    ],
)
def test_bad_codes_are_refused_with_their_reason(code, problem):
    with pytest.raises(gbcode.InvalidCode) as refused:
        gbcode.parse(code)
    assert refused.value.problem == problem


@pytest.mark.parametrize("device_type", ["111", "118", "200", "215", "216", "134"])
def test_devices_that_are_not_cameras_parse_but_are_not_cameras(device_type):
    code = f"5101150100{device_type}0000001"
    assert gbcode.parse(code).type == device_type
    with pytest.raises(gbcode.InvalidCode) as refused:
        gbcode.parse_camera(code)
    assert refused.value.problem == "not_camera"


@pytest.mark.parametrize("device_type", ["131", "132"])
def test_both_camera_types_are_cameras(device_type):
    assert gbcode.parse_camera(f"5101150100{device_type}0000001").is_camera


@pytest.mark.parametrize(
    "civil, expected",
    [
        ("51011501", ["510115001000", "510115000000", "510100000000", "510000000000"]),  # a street office
        ("51011500", ["510115000000", "510100000000", "510000000000"]),  # the district itself
        ("51010000", ["510100000000", "510000000000"]),  # a city
        ("51000000", ["510000000000"]),  # a province
    ],
)
def test_the_civil_code_names_division_codes_deepest_first(civil, expected):
    assert gbcode.parse(f"{civil}00132" + "0000001").center_codes() == expected


def test_every_network_digit_has_a_name():
    for digit in "0123456789":
        parsed = gbcode.parse(f"5101150100132{digit}000001")
        assert parsed.network == digit and parsed.network_name


def test_make_builds_a_code_that_parses_back():
    code = gbcode.make(civil="51011501", industry="01", type="131", network="6", serial=42)
    assert code == "51011501011316000042"
    parsed = gbcode.parse_camera(code)
    assert (parsed.industry, parsed.type, parsed.network, parsed.serial) == ("01", "131", "6", "000042")


def test_make_refuses_parts_that_make_no_code():
    with pytest.raises(gbcode.InvalidCode):
        gbcode.make(civil="00000000", serial=1)
