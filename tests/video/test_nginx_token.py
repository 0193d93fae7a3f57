"""A real nginx with libnginx-mod-rtmp, started on free loopback ports, with an ffmpeg test pattern
published into it: the media server itself refuses an HLS request (auth_request → Django's
/video/hooks/auth/) or an RTMP play (on_play → /video/hooks/play/) without a valid token, and
serves one with it. The nginx directives are CONTRACT.md's."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from video import tokens

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

pytestmark = pytest.mark.skipif(
    not (Path(NGINX).exists() and Path(RTMP_MODULE).exists() and Path(FFMPEG).exists()),
    reason="nginx-light, libnginx-mod-rtmp and ffmpeg are needed (make test installs them)",
)

STREAM = "cam-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """
load_module {module};
{user}worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 256; }}
rtmp {{
    server {{
        listen 127.0.0.1:{rtmp};
        application live {{
            live on;
            record off;
            allow publish 127.0.0.1;
            deny publish all;
            allow play all;
            hls on;
            hls_path {hls};
            hls_nested on;
            hls_fragment 1s;
            hls_playlist_length 4s;
            on_play {django}/video/hooks/play/;
        }}
    }}
}}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
    server {{
        listen 127.0.0.1:{http};
        location ~ ^/hls/(?<video_token>[A-Za-z0-9_.=-]+)/(?<video_stream>[A-Za-z0-9][A-Za-z0-9_.-]*)/index\\.m3u8$ {{
            auth_request /_video_auth;
            alias {hls}/$video_stream/index.m3u8;
        }}
        location ~ ^/hls/(?<video_token>[A-Za-z0-9_.=-]+)/(?<video_stream>[A-Za-z0-9][A-Za-z0-9_.-]*)/(?<video_segment>[0-9]+)\\.ts$ {{
            auth_request /_video_auth;
            alias {hls}/$video_stream/$video_segment.ts;
        }}
        location = /_video_auth {{
            internal;
            proxy_pass {django}/video/hooks/auth/;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
        }}
        location / {{ return 404; }}
    }}
}}
"""  # noqa: E501


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def media(tmp_path, live_server):
    run, hls = tmp_path / "run", tmp_path / "hls"
    run.mkdir()
    hls.mkdir()
    rtmp, http = free_port(), free_port()
    (run / "nginx.conf").write_text(
        CONFIG.format(
            module=RTMP_MODULE,
            # As root, nginx's workers would run as nobody, who cannot enter the test's private directory.
            user="user root;\n" if os.geteuid() == 0 else "",
            run=run,
            hls=hls,
            rtmp=rtmp,
            http=http,
            django=live_server.url,
        )
    )
    nginx = subprocess.Popen([NGINX, "-c", str(run / "nginx.conf"), "-e", str(run / "error.log")])
    wait_for(lambda: _connects(http) and _connects(rtmp), 10, "nginx")
    ffmpeg = subprocess.Popen(
        [
            FFMPEG,
            "-nostdin",
            "-loglevel",
            "error",
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x180:rate=25",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-g",
            "25",
            "-pix_fmt",
            "yuv420p",
            "-f",
            "flv",
            f"rtmp://127.0.0.1:{rtmp}/live/{STREAM}",
        ]
    )
    wait_for(
        lambda: (hls / STREAM / "index.m3u8").exists() and list((hls / STREAM).glob("*.ts")),
        20,
        "the first HLS segment",
    )
    yield {"http": f"http://127.0.0.1:{http}", "rtmp": f"rtmp://127.0.0.1:{rtmp}/live", "hls": hls, "run": run}
    ffmpeg.terminate()
    nginx.terminate()
    ffmpeg.wait(timeout=10)
    nginx.wait(timeout=10)


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def token(stream: str = STREAM, *, server: str = "local", ttl: int = 60) -> str:
    return tokens.sign(server=server, stream=stream, viewing=uuid.uuid4().hex, expires=int(time.time()) + ttl)


def test_nginx_refuses_hls_without_a_valid_token_and_serves_it_with_one(media):
    base = media["http"] + "/hls"
    status, playlist = get(f"{base}/{token()}/{STREAM}/index.m3u8")
    assert status == 200 and playlist.startswith(b"#EXTM3U")
    segment = next(line for line in playlist.decode().splitlines() if line.endswith(".ts"))
    good = token()
    status, body = get(f"{base}/{good}/{STREAM}/{segment}")  # the segment's relative name, under the token
    assert status == 200 and body[:1] == b"\x47"  # an MPEG-TS packet's sync byte
    refused = {
        "no token": f"{base}/x/{STREAM}/index.m3u8",
        "forged": f"{base}/{good[:-2]}AA/{STREAM}/index.m3u8",
        "another stream's": f"{base}/{token('demo-01')}/{STREAM}/index.m3u8",
        "another server's": f"{base}/{token(server='zlm')}/{STREAM}/index.m3u8",
        "expired": f"{base}/{token(ttl=-1)}/{STREAM}/index.m3u8",
        "segment, no token": f"{base}/nothing/{STREAM}/{segment}",
    }
    for what, url in refused.items():
        assert get(url)[0] == 403, what


def test_nginx_rtmp_refuses_an_rtmp_play_without_a_token(media):
    def probe(url: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                FFPROBE,
                "-v",
                "error",
                "-rw_timeout",
                "8000000",
                "-show_entries",
                "stream=codec_name",
                "-of",
                "csv=p=0",
                url,
            ],
            capture_output=True,
            timeout=30,
        )

    refused = probe(f"{media['rtmp']}/{STREAM}")
    assert refused.returncode != 0 or b"h264" not in refused.stdout
    allowed = probe(f"{media['rtmp']}/{STREAM}?token={token()}")
    assert allowed.returncode == 0 and b"h264" in allowed.stdout


def test_the_adapter_reads_the_live_playlist_as_fresh(media):
    from video.adapters import ServerInfo, adapter_for

    adapter = adapter_for(
        ServerInfo(kind="nginx_rtmp", slug="local", hls_url=media["http"] + "/hls", hls_dir=str(media["hls"]))
    )
    assert adapter.playlist_age(STREAM) < 5
    jpeg = adapter.snapshot(STREAM)  # ffmpeg through nginx, with the platform's own token
    assert jpeg.startswith(b"\xff\xd8") and len(jpeg) > 1000
