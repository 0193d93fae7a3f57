"""GB/T 28181 device codes: 20 digits, parsed and validated.

    0–8   civil code (中心编码): province 2, city 2, county 2, base unit 2
    8–10  industry (行业编码)
    10–13 type (类型编码): 111 DVR, 118 NVR, 131 camera, 132 IPC, 200 SIP server, 215 business group …
    13    network (网络标识): 0–4 video private network, 5 police information network, 6 e-government
          extranet, 7 internet, 8 social resources network
    14–20 serial (序号)

The civil code places a device in an administrative area; `center_codes` turns it into the 12-digit
statistical division codes of the platform's centers, deepest first (a two-digit base unit names a
street office 001–099; a town 1xx cannot be told from two digits, so the district is the fallback).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE_RE = re.compile(r"^[0-9]{20}$")  # ASCII digits only (\d takes full-width ones)

DEVICE_TYPES: dict[str, str] = {
    "111": "DVR",
    "112": "video server",
    "113": "encoder",
    "114": "decoder",
    "115": "video switch matrix",
    "116": "audio switch matrix",
    "117": "alarm controller",
    "118": "NVR",
    "119": "hybrid NVR",
    "131": "camera",
    "132": "IPC",
    "133": "display",
    "134": "alarm input",
    "135": "alarm output",
    "136": "voice input",
    "137": "voice output",
    "138": "mobile transmission",
    "139": "other peripheral",
    "200": "central signalling server",
    "201": "web application server",
    "202": "media distribution server",
    "203": "proxy server",
    "204": "security server",
    "205": "alarm server",
    "206": "database server",
    "207": "GIS server",
    "208": "management server",
    "209": "gateway",
    "210": "media storage server",
    "211": "signalling security routing gateway",
    "215": "business group",
    "216": "virtual organisation",
}
# The types that are a video channel one can watch.
CAMERA_TYPES = frozenset({"131", "132"})

NETWORKS: dict[str, str] = {
    **{d: "video private network" for d in "01234"},
    "5": "police information network",
    "6": "e-government extranet",
    "7": "internet",
    "8": "social resources network",
    "9": "reserved",
}


class InvalidCode(ValueError):
    """A code that is not a valid GB/T 28181 camera code; `problem` says why (a short key)."""

    def __init__(self, problem: str, message: str):
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class GbCode:
    code: str
    civil: str  # 8 digits
    industry: str  # 2 digits
    type: str  # 3 digits
    network: str  # 1 digit
    serial: str  # 6 digits

    @property
    def province(self) -> str:
        return self.civil[:2]

    @property
    def county(self) -> str:
        """The 6-digit county code (e.g. 510115, 温江区)."""
        return self.civil[:6]

    @property
    def type_name(self) -> str:
        return DEVICE_TYPES.get(self.type, "unknown")

    @property
    def network_name(self) -> str:
        return NETWORKS[self.network]

    @property
    def is_camera(self) -> bool:
        return self.type in CAMERA_TYPES

    def center_codes(self) -> list[str]:
        """12-digit division codes this code's civil code may name, deepest first."""
        county, unit = self.civil[:6], self.civil[6:8]
        codes = []
        if unit != "00":
            codes.append(f"{county}0{unit}000")
        if county[4:] != "00":
            codes.append(f"{county}000000")
        if county[2:4] != "00":
            codes.append(f"{county[:4]}00000000")
        codes.append(f"{county[:2]}0000000000")
        return codes


def parse(code: str) -> GbCode:
    """Parses a 20-digit code (surrounding spaces ignored); raises InvalidCode."""
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise InvalidCode("format", "A GB/T 28181 code has exactly 20 digits.")
    province = int(code[:2])
    if not 11 <= province <= 82:
        raise InvalidCode("civil", f"{code[:2]} is not a province code (11–82).")
    if code[2:4] == "00" and code[4:6] != "00":
        raise InvalidCode("civil", f"The civil code {code[:8]} names a county without a city.")
    if code[10:13] not in DEVICE_TYPES:
        raise InvalidCode("type", f"{code[10:13]} is not a GB/T 28181 device type.")
    return GbCode(code=code, civil=code[:8], industry=code[8:10], type=code[10:13], network=code[13], serial=code[14:])


def parse_camera(code: str) -> GbCode:
    """Parses a code that must name a camera channel (type 131 or 132); raises InvalidCode."""
    parsed = parse(code)
    if not parsed.is_camera:
        raise InvalidCode("not_camera", f"Type {parsed.type} ({parsed.type_name}) is not a camera (131 or 132).")
    return parsed


def make(*, civil: str, serial: int, industry: str = "00", type: str = "131", network: str = "0") -> str:
    """A code from its parts (demo data, tests); the result parses."""
    code = f"{civil}{industry}{type}{network}{serial:06d}"
    parse(code)
    return code
