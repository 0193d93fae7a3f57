"""What can be exported: each case type registers its exporters here (in its AppConfig's ready).

An exporter counts the rows a request would give (to decide between answering at once and a
background job, and to show progress) and writes the file, calling `progress(rows)` as it goes.
Both are given the requesting user: the scope is applied when the file is written, not when it
was asked for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Exporter:
    title: Callable[[dict], str]  # params -> the title shown on the page and in the inbox
    filename: Callable[[dict], str]  # params -> the file name offered to the browser
    count: Callable[[object, dict], int]  # (user, params) -> rows the file will hold
    write: Callable[[object, dict, BinaryIO, Progress], int]  # (user, params, file, progress) -> rows written
    content_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # params -> field errors ({"query": ["…"]}) for a request that cannot be written, checked when it is made
    check: Callable[[dict], dict[str, list[str]]] | None = None


_EXPORTERS: dict[str, Exporter] = {}


def register(kind: str, exporter: Exporter) -> None:
    _EXPORTERS[kind] = exporter


def exporter_for(kind: str) -> Exporter | None:
    return _EXPORTERS.get(kind)


def kinds() -> list[str]:
    return sorted(_EXPORTERS)
