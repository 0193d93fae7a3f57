"""Production mode refuses to start with the default secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ID_HASH_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "CRITICAL"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_refuses_the_default_secret():
    result = run_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_refuses_the_default_id_hash_key():
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50 + "-a-real-secret-for-the-test")
    assert result.returncode != 0
    assert "ID_HASH_KEY must be set" in result.stderr


def test_production_mode_starts_with_real_secrets():
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50 + "-a-real-secret-for-the-test", ID_HASH_KEY="y" * 50)
    assert result.returncode == 0, result.stderr
