"""Shared pieces of the benchmarks: a separate benchmark database, servers, load generators."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
BENCH_DB = os.environ.get("BENCH_DB", "wenjiang_ops_bench")
BENCH_URL = f"postgis://postgres@127.0.0.1:5432/{BENCH_DB}"
SERVER_ENV = {
    "DATABASE_URL": BENCH_URL,
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
    "ID_HASH_KEY": "bench-only-id-hash-key-not-used-anywhere-else-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "LOG_LEVEL": "WARNING",
    "CACHE_KEY_PREFIX": "wj-bench",
    "CHANNEL_PREFIX": "wj-bench",
    # The intake limit is counted as in production (one Redis round trip) but never reached.
    "INTAKE_RATE_LIMITS": "grid_worker=1000000000/3600",
}


def env(**extra) -> dict:
    return {**os.environ, **SERVER_ENV, **extra, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}


def manage(*args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env(), capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare_database() -> None:
    """The benchmark database: created, migrated and loaded with the district (no demo events)."""
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", f"select 1 from pg_database where datname='{BENCH_DB}'"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", BENCH_DB], check=True)
    subprocess.run(
        [
            "psql",
            "-q",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            BENCH_DB,
            "-c",
            "create extension if not exists postgis",
        ],
        check=True,
        capture_output=True,
    )
    manage("migrate", "--noinput", "-v0")
    manage("seed_demo", "--no-events", "--force")  # production-like settings (DEBUG=0): a bench-only database


def django_setup() -> None:
    os.environ.update(SERVER_ENV)
    os.environ["DJANGO_SETTINGS_MODULE"] = "wenjiang_ops.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def start_server(command: list[str], port: int, **extra_env) -> subprocess.Popen:
    process = subprocess.Popen(
        command, cwd=ROOT, env=env(**extra_env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"the server on port {port} did not start: {' '.join(command)}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def live_publisher() -> subprocess.Popen:
    """The process that publishes the dashboards' pushes (LIVE_PUSH=queue), as in the Procfile."""
    command = [PYTHON, "manage.py", "live_publisher"]
    return subprocess.Popen(command, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def gunicorn(port: int, workers: int | None = None, **extra_env) -> subprocess.Popen:
    workers = workers or int(os.environ.get("WEB_WORKERS", "4"))
    return start_server(
        ["gunicorn", "wenjiang_ops.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        port,
        **extra_env,
    )


def parse_wrk(out: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {
        "rps": rps,
        "p50_ms": pct("50"),
        "p90_ms": pct("90"),
        "p99_ms": pct("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
    script: str | None = None,
    headers: dict | None = None,
) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    if script:
        command += ["-s", script]
    result = subprocess.run([*command, url], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"wrk failed: {result.stdout} {result.stderr}")
    return parse_wrk(result.stdout)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
