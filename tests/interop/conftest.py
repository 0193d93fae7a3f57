"""The events tests' helpers (report, act, drive …), shared here."""

from tests.events.conftest import (  # noqa: F401 (fixtures)
    act,
    category,
    dept,
    drive,
    hangtianlu_point,
    media_in_tmp,
    report,
    round_the_clock,
)
