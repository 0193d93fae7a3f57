"""The one table `make bench` ends with: each benchmark's figures beside their baselines and targets.

Reads the logs `make bench` wrote (bench/out/<name>.log); each benchmark's last line is its JSON.
A benchmark that did not finish, or whose log holds no JSON, is shown as such and fails the table.
Usage: bench/summary.py bench/out/intake.log bench/out/sweep.log …
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path
from typing import NamedTuple


class Row(NamedTuple):
    bench: str
    figure: str
    ours: str  # key of our figure in the bench's JSON
    base: str | None  # key of the baseline's figure
    ratio: str | None  # key of the ratio the target is about (None: the target is about `ours`)
    target: float | None  # None: reported, no target
    at_most: bool  # the target is a maximum (latencies) rather than a minimum (rates)
    unit: str


ROWS = [
    Row("intake", "reports/s vs stock DRF", "intake_rps", "stock_rps", "stock_ratio", 0.8, False, "req/s"),
    Row("intake", "report p99 vs stock DRF", "p99_ms", "stock_p99_ms", "stock_p99_ratio", 1.5, True, "ms"),
    Row("intake", "town list p95 vs bare SQL", "list_p95_ms", "list_bare_p95_ms", "list_ratio", 3.0, True, "ms"),
    Row("sweep", "sweep vs plainest SQL, same batches", "sweep_s", None, "floor_ratio", 1.3, True, "s"),
    Row("push", "1 screen, 1 ev/s, p99 vs raw", "k1_1hz_p99_ms", "raw_k1_1hz_p99_ms", "ratio_k1", None, True, "ms"),
    Row(
        "push",
        "1,000 screens, 1 ev/s, p99 vs raw",
        "k1000_1hz_p99_ms",
        "raw_k1000_1hz_p99_ms",
        "ratio_k1000",
        None,
        True,
        "ms",
    ),
    Row(
        "disputes",
        "year statistics p95 vs bare SQL",
        "stats_p95_ms",
        "stats_bare_p95_ms",
        "stats_ratio",
        3.0,
        True,
        "ms",
    ),
    Row("disputes", "town list p95 vs bare SQL", "list_p95_ms", "list_bare_p95_ms", "list_ratio", 3.0, True, "ms"),
    Row("export", "year export vs bare openpyxl", "ours_rows_per_s", "bare_rows_per_s", "ratio", 0.5, False, "rows/s"),
    Row(
        "figures",
        "city figures p95: counters vs table",
        "city_counters_p95_ms",
        "city_table_p95_ms",
        None,  # the target is the time itself
        20,
        True,
        "ms",
    ),
    Row("tracks", "track points/s vs stock DRF", "ours_rps", "stock_rps", "ratio", 0.8, False, "req/s"),
    Row("tracks", "track point p99 vs stock DRF", "ours_p99_ms", "stock_p99_ms", "p99_ratio", 1.5, True, "ms"),
    Row("tracks", "live patrol map delay p99", "live_p99_ms", None, None, 2000, True, "ms"),
    Row("cameras", "nearest 10 cameras p99 vs bare KNN", "p99_ms", "bare_p99_ms", "ratio", 2, True, "ms"),
    Row(
        "rest",
        "WSGI locate vs raw SQL lookup",
        "wsgi_locate_rps",
        "raw_sql_locate_qps",
        "wsgi_locate_over_raw_sql",
        None,
        False,
        "req/s",
    ),
]


def last_json(path: Path) -> dict | None:
    if not path.exists():
        return None
    for line in reversed(path.read_text(encoding="utf-8", errors="replace").splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main(paths: list[str]) -> int:
    results = {Path(p).stem: last_json(Path(p)) for p in paths}
    header = ("benchmark", "figure", "ours", "baseline", "ratio", "target", "result")
    table, failed = [], 0
    for bench, figure, ours_key, base_key, ratio_key, target, at_most, unit in ROWS:
        if bench not in results:
            continue
        data = results[bench]
        if data is None:
            table.append((bench, figure, "—", "—", "—", "—", "DID NOT FINISH"))
            failed += 1
            continue
        ours, base = data.get(ours_key), data.get(base_key) if base_key else None
        ratio = data.get(ratio_key) if ratio_key else None
        measured = ratio if ratio_key else ours
        if target is None:
            verdict, shown_target = "(reported)", "—"
        elif measured is None:
            verdict, shown_target = "MISSING", ("≤ " if at_most else "≥ ") + fmt(target)
            failed += 1
        else:
            ok = measured <= target if at_most else measured >= target
            verdict, shown_target = ("pass" if ok else "FAIL"), ("≤ " if at_most else "≥ ") + fmt(target)
            failed += not ok
        table.append(
            (
                bench,
                figure,
                f"{fmt(ours)} {unit}" if ours is not None else "—",
                f"{fmt(base)} {unit}" if base is not None else "—",
                f"{ratio:.2f}×" if isinstance(ratio, int | float) else "—",
                shown_target + ("×" if ratio_key and target is not None else (f" {unit}" if target else "")),
                verdict,
            )
        )
    widths = [max(len(str(row[k])) for row in [header, *table]) for k in range(len(header))]
    print()
    machine = f"{platform.node()}, {platform.machine()}, Python {platform.python_version()}"
    print(f"Summary ({machine}):")
    for row in [header, tuple("-" * w for w in widths), *table]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
