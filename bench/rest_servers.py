"""Which server serves the REST API fastest here: gunicorn (WSGI) or uvicorn (ASGI)?

Both run the same Django project, production-like (DEBUG off), with the worker counts of the
Procfile, against the demo database; wrk drives 16 keep-alive connections at each for the same
time, on two endpoints: a PostGIS grid lookup and /api/me/. The baseline, measured in the same
run, is the lookup's SQL executed directly with psycopg2 from one process. The last line is one
JSON object.

Usage: python bench/rest_servers.py [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenjiang_ops.settings")
# This process only reads the demo database (make run's); the servers it starts run with DEBUG off.
os.environ.setdefault("DEBUG", "1")

BENCH_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
    "ID_HASH_KEY": "bench-only-id-hash-key-not-used-anywhere-else-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "LOG_LEVEL": "WARNING",
}
GUNICORN_PORT, UVICORN_PORT = 18080, 18081
# A point inside 航天路社区 (柳城街道); any point in the district would do.
LAT, LNG = None, None


def django_setup():
    import django

    django.setup()


def demo_point_and_token() -> tuple[float, float, str]:
    django_setup()
    from accounts.models import User
    from accounts.services import token_issue
    from grids.models import Grid

    grid = Grid.objects.filter(center__name="航天路社区").order_by("code").first()
    if grid is None:
        sys.exit("No demo data: run `python manage.py seed_demo` first (make run does).")
    point = grid.boundary.point_on_surface
    return point.y, point.x, token_issue(user=User.objects.get(username="duty"), client="bench")


def start(command: list[str], port: int, extra_env: dict) -> subprocess.Popen:
    env = {**os.environ, **BENCH_ENV, **extra_env, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process  # it answers
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"server on port {port} did not start: {' '.join(command)}")


def wrk(url: str, token: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Authorization: Token {token}", url],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        sys.exit(f"wrk failed on {url}: {out.stdout} {out.stderr}")
    out = out.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        sys.exit(f"{url}: {non2xx.group(1)} error responses (of {out.count('requests in')} runs)\n{out}")

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "p50_ms": pct("50"), "p99_ms": pct("99")}


def raw_sql_rate(lat: float, lng: float, seconds: float) -> float:
    """The lookup's SQL from one process with psycopg2, no HTTP, no Django."""
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
    conn.autocommit = True
    cursor = conn.cursor()
    sql = (
        "select g.id, g.code, g.name, st_asgeojson(g.boundary) from grids_grid g join grids_center c "
        "on c.id = g.center_id where c.path like %s and st_covers(g.boundary, st_setsrid(st_point(%s, %s), 4326)) "
        "order by g.code limit 1"
    )
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        cursor.execute(sql, ("510115000000/%", lng, lat))
        cursor.fetchall()
        n += 1
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk (make bench-rest installs it)")
    lat, lng, token = demo_point_and_token()
    web_workers = os.environ.get("WEB_WORKERS", "4")
    asgi_workers = os.environ.get("ASGI_WORKERS", "2")
    servers = {
        "wsgi": (
            [
                "gunicorn",
                "wenjiang_ops.wsgi:application",
                "--bind",
                f"127.0.0.1:{GUNICORN_PORT}",
                "--workers",
                web_workers,
            ],
            GUNICORN_PORT,
            {},
        ),
        "asgi": (
            [
                "uvicorn",
                "wenjiang_ops.asgi:application",
                "--port",
                str(UVICORN_PORT),
                "--workers",
                asgi_workers,
                "--no-access-log",
            ],
            UVICORN_PORT,
            # Django's advice under ASGI: no persistent connections (psycopg2 has no pool).
            {"CONN_MAX_AGE": "0"},
        ),
    }
    endpoints = {"locate": f"/api/grids/locate/?lat={lat}&lng={lng}", "me": "/api/me/"}
    results: dict[str, dict] = {}
    for name, (command, port, extra_env) in servers.items():
        process = start(command, port, extra_env)
        try:
            for endpoint, path in endpoints.items():
                url = f"http://127.0.0.1:{port}{path}"
                wrk(url, token, 2, args.connections)  # warm-up
                results[f"{name}_{endpoint}"] = r = wrk(url, token, args.seconds, args.connections)
                print(
                    f"{name:5} {endpoint:7} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms"
                )
        finally:
            process.terminate()
            process.wait(timeout=30)
    raw = raw_sql_rate(lat, lng, args.seconds)
    print(f"raw SQL lookup, one process: {raw:8.0f} queries/s")
    summary = {
        "bench": "rest_servers",
        "connections": args.connections,
        "wsgi_workers": int(web_workers),
        "asgi_workers": int(asgi_workers),
        "wsgi_locate_rps": round(results["wsgi_locate"]["rps"]),
        "asgi_locate_rps": round(results["asgi_locate"]["rps"]),
        "raw_sql_locate_qps": round(raw),
        "asgi_over_wsgi_locate": round(results["asgi_locate"]["rps"] / results["wsgi_locate"]["rps"], 2),
        "asgi_over_wsgi_me": round(results["asgi_me"]["rps"] / results["wsgi_me"]["rps"], 2),
        "wsgi_locate_over_raw_sql": round(results["wsgi_locate"]["rps"] / raw, 2),
        "wsgi_locate_p99_ms": results["wsgi_locate"]["p99_ms"],
        "asgi_locate_p99_ms": results["asgi_locate"]["p99_ms"],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
