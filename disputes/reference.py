"""The disputes' reference data — the dispute types (the 19 of Sichuan's quarterly report, with
subtypes) and the default time limits — as the migration that introduced them wrote them. The demo
seed loads them again (idempotent), so that a database emptied by a test, or made without the
migrations' data, gets them back."""

from __future__ import annotations

import importlib

from django.apps import apps

_MIGRATION = "disputes.migrations.0002_timeline_immutable_and_reference"


def load_reference() -> None:
    """Creates the missing dispute types and limits (existing rows, edited or not, stay)."""
    from . import clocks

    importlib.import_module(_MIGRATION).load(apps, None)
    clocks.limits_changed()
