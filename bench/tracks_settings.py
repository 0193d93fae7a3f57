"""The project's settings with the stock baseline's route added (bench/tracks_stock.py): the real
and the stock endpoints run in the same server processes."""

from wenjiang_ops.settings import *  # noqa: F403

ROOT_URLCONF = "bench.tracks_stock"
