"""deploy/nginx.conf, run by a real nginx: socket URLs are logged without their query string (a
one-time ticket must not reach a log), and X-Real-IP reaches the app as nginx saw the client, whatever
the client sent."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (make test installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream(http.server.BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_GET(self):
        Upstream.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy(tmp_path):
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port, app = free_port(), upstream.server_address[1]
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("server web:8000;", f"server 127.0.0.1:{app};").replace(
        "server asgi:8001;", f"server 127.0.0.1:{app};"
    )
    site = site.replace("listen 80 default_server;", f"listen 127.0.0.1:{port};")
    site = site.replace("/var/log/nginx/access.log", str(tmp_path / "ws.log"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; daemon off;\n"
        f"events {{}}\nhttp {{ access_log {tmp_path}/access.log; client_body_temp_path {tmp_path};"
        f" proxy_temp_path {tmp_path}; include {tmp_path}/site.conf; }}\n"
    )
    process = subprocess.Popen([NGINX, "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    Upstream.seen = []
    yield f"http://127.0.0.1:{port}", tmp_path
    process.terminate()
    process.wait(timeout=10)
    upstream.shutdown()


def get(url: str, **headers) -> None:
    urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5).read()


def test_socket_urls_are_logged_without_their_query_string(proxy):
    url, logs = proxy
    get(f"{url}/ws/dashboard/?ticket=SECRET-TICKET-123&center=2")
    log = logs / "ws.log"
    for _ in range(100):  # nginx writes its log line after the response
        if log.exists() and log.read_text():
            break
        time.sleep(0.05)
    line = log.read_text()
    assert "/ws/dashboard/" in line
    assert "SECRET-TICKET-123" not in line and "ticket=" not in line
    assert Upstream.seen[0]["path"] == "/ws/dashboard/?ticket=SECRET-TICKET-123&center=2"  # the app still gets it


def test_x_real_ip_is_the_address_nginx_saw(proxy):
    url, _ = proxy
    get(f"{url}/api/me/", **{"X-Real-IP": "203.0.113.66", "X-Forwarded-For": "198.51.100.1"})
    get(f"{url}/ws/inbox/", **{"X-Real-IP": "203.0.113.66"})
    assert [seen["x-real-ip"] for seen in Upstream.seen] == ["127.0.0.1", "127.0.0.1"]
