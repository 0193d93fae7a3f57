"""Reading a file of places (.csv, .xlsx or GeoJSON) into plain rows. No writes: `services.place_import`
checks and writes them.

Columns (a header row; GeoJSON: each feature's properties, its geometry a Point or a Polygon):
grid (the grid's code), code (the place's own reference, unique in its grid), kind (street, compound,
building, entrance — or 街巷, 小区/院落, 楼栋, 单元), name, parent (the code of the place it is in),
address, lat, lng (WGS 84), outline (optional: a polygon as WKT or GeoJSON text)."""

from __future__ import annotations

import csv
import io
import json

from django.utils.translation import gettext as _

COLUMNS = ("grid", "code", "kind", "name", "parent", "address", "lat", "lng", "outline")
KIND_WORDS = {
    "street": "street",
    "街巷": "street",
    "街道": "street",
    "道路": "street",
    "compound": "compound",
    "小区": "compound",
    "院落": "compound",
    "building": "building",
    "楼栋": "building",
    "楼": "building",
    "entrance": "entrance",
    "单元": "entrance",
}
# What a place may be inside of: an entrance in a building, a building in a compound, a compound on a
# street (or on nothing).
PARENT_KINDS = {"entrance": {"building"}, "building": {"compound", "street"}, "compound": {"street"}, "street": set()}
MAX_ROWS = 20_000


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not its rows)."""


def read_rows(name: str, data: bytes) -> list[tuple[int, dict]]:
    """(row number as a person counts it, {column: text or geometry}) for each row of the file."""
    lower = (name or "").lower()
    if lower.endswith(".csv"):
        return _csv(data)
    if lower.endswith(".xlsx"):
        return _xlsx(data)
    if lower.endswith((".geojson", ".json")):
        return _geojson(data)
    raise UnreadableFile(_("Import a .csv, .xlsx or .geojson file."))


def _clean(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        key = str(key or "").strip().lower()
        if key in COLUMNS:
            out[key] = "" if value is None else (value if isinstance(value, dict) else str(value).strip())
    return out


def _csv(data: bytes) -> list[tuple[int, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # what Excel in Chinese saves a .csv as
        except UnicodeDecodeError:
            raise UnreadableFile(_("The .csv file is neither UTF-8 nor GB18030 text.")) from None
    reader = csv.DictReader(io.StringIO(text))
    rows = [(i + 2, _clean(row)) for i, row in enumerate(reader)]  # row 1 is the header
    return rows


def _xlsx(data: bytes) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise UnreadableFile(_("The file is not an .xlsx workbook.")) from None
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = next(lines, None)
    if header is None:
        return []
    names = [str(h or "").strip().lower() for h in header]
    rows = []
    for i, line in enumerate(lines):
        if line is None or all(v in (None, "") for v in line):
            continue
        rows.append((i + 2, _clean(dict(zip(names, line, strict=False)))))
    return rows


def _geojson(data: bytes) -> list[tuple[int, dict]]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise UnreadableFile(_("The file is not GeoJSON.")) from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise UnreadableFile(_("A GeoJSON file of places is a FeatureCollection."))
    rows = []
    for i, feature in enumerate(features):
        props = (feature or {}).get("properties") or {}
        row = _clean(props)
        geometry = (feature or {}).get("geometry")
        if isinstance(geometry, dict):
            row["geometry"] = geometry
        rows.append((i + 1, row))  # features are counted from 1
    return rows
