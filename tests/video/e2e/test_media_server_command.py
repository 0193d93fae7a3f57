"""`manage.py media_server` as `make run` starts it: nginx-rtmp on the ports of its settings, the
rendered configuration checking every HLS request with Django, and a clean stop on SIGTERM (honcho's
Ctrl-C) that leaves no process and no temporary directory behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

from tests.processes import ROOT, free_port, wait_until

from .conftest import needs_media

pytestmark = needs_media


def _env(rtmp: int, http: int) -> dict:
    return {
        **os.environ,
        "DEBUG": "1",
        "VIDEO_MEDIA_RTMP_URL": f"rtmp://127.0.0.1:{rtmp}/live",
        "VIDEO_MEDIA_HLS_URL": f"http://127.0.0.1:{http}/hls",
        "VIDEO_HOOK_BASE_URL": "http://127.0.0.1:9",  # nobody there: every HLS request is refused
    }


def test_print_config_renders_the_token_check_and_the_hooks():
    out = subprocess.run(
        [sys.executable, "manage.py", "media_server", "--print-config"],
        cwd=ROOT,
        env=_env(11935, 18088),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "listen 127.0.0.1:11935;" in out and "listen 127.0.0.1:18088;" in out
    assert out.count("auth_request /_video_auth;") == 2  # the playlist and the segments
    assert "proxy_pass http://127.0.0.1:9/video/hooks/auth/;" in out
    assert "on_publish http://127.0.0.1:9/video/hooks/publish/;" in out
    assert "hls_fragment 1s;" in out and "hls_nested on;" in out
    run_dir = re.search(r"^pid (\S+)/nginx.pid;", out, re.M)[1]
    assert not os.path.exists(run_dir)  # --print-config leaves nothing behind


def test_the_command_serves_refuses_without_django_and_stops_cleanly_on_sigterm(tmp_path):
    rtmp, http = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "media_server"],
        cwd=ROOT,
        env={**_env(rtmp, http), "VIDEO_HLS_DIR": str(tmp_path / "hls")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        banner = process.stdout.readline()
        run_dir = re.search(r"configuration (\S+)/nginx.conf", banner)[1]

        def status():
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{http}/hls/x/demo-01/index.m3u8", timeout=3).status
            except urllib.error.HTTPError as exc:
                return exc.code
            except OSError:
                return None

        # Django's token hook cannot be reached: nginx refuses (500 from auth_request), never serves.
        assert wait_until(status, 15, what="the media server's HLS port") in (401, 403, 500, 502)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert not os.path.exists(run_dir)
    assert subprocess.run(["pgrep", "-f", f"{run_dir}/nginx.conf"], capture_output=True).returncode == 1
