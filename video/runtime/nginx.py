"""The media server: deploy/media/nginx-rtmp.conf rendered into a private directory, and run by Debian's
nginx in the foreground.

Ports and addresses come from settings (VIDEO_MEDIA_RTMP_URL, VIDEO_MEDIA_HLS_URL, VIDEO_MEDIA_LISTEN,
VIDEO_HOOK_BASE_URL); tests pass their own. Nothing here is Django-specific beyond reading settings: the
template is rendered by a stand-alone template engine.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.template import Context, Engine

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "media" / "nginx-rtmp.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


class MediaServerError(RuntimeError):
    """nginx is missing, its configuration is refused, or it did not start."""


@dataclass
class MediaServerConfig:
    """What the rendered nginx.conf needs. `hook_base`/`auth_url` empty: no hooks, no token check (only
    for a harness that tests the media path itself)."""

    rtmp_port: int = 1935
    http_port: int = 8088
    listen: str = "127.0.0.1"
    hook_base: str = ""  # e.g. http://127.0.0.1:8000: nginx-rtmp POSTs on_publish … there
    auth_url: str = ""  # e.g. http://127.0.0.1:8000/video/hooks/auth/: every HLS request is checked there
    publishers: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    stat_allow: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    run_dir: Path | None = None  # default: a new temporary directory
    hls_dir: Path | None = None  # default: <run_dir>/hls

    @classmethod
    def from_settings(cls) -> MediaServerConfig:
        from django.conf import settings

        hook_base = settings.VIDEO_HOOK_BASE_URL.rstrip("/")
        return cls(
            rtmp_port=urlsplit(settings.VIDEO_MEDIA_RTMP_URL).port or 1935,
            http_port=urlsplit(settings.VIDEO_MEDIA_HLS_URL).port or 80,
            listen=settings.VIDEO_MEDIA_LISTEN,
            hook_base=hook_base,
            auth_url=f"{hook_base}/video/hooks/auth/" if hook_base else "",
            publishers=list(settings.VIDEO_MEDIA_PUBLISHERS),
            stat_allow=list(settings.VIDEO_MEDIA_STAT_ALLOW),
            hls_dir=Path(settings.VIDEO_HLS_DIR) if settings.VIDEO_HLS_DIR else None,
        )

    @property
    def rtmp_url(self) -> str:
        """Where publishers push: rtmp://host:port/live (append /<stream>)."""
        return f"rtmp://{self._host}:{self.rtmp_port}/live"

    @property
    def hls_url(self) -> str:
        """The HLS base: append /<token>/<stream>/index.m3u8."""
        return f"http://{self._host}:{self.http_port}/hls"

    @property
    def stat_url(self) -> str:
        return f"http://{self._host}:{self.http_port}/stat"

    @property
    def _host(self) -> str:
        return "127.0.0.1" if self.listen in ("0.0.0.0", "", "*") else self.listen


def render(config: MediaServerConfig, run_dir: Path, hls_dir: Path) -> str:
    """The nginx.conf text for `config`, with its pid, logs and temporary files under `run_dir`."""
    engine = Engine(autoescape=False)
    template = engine.from_string(TEMPLATE.read_text())
    # Workers of a root master run as `nobody` unless told otherwise, and could not write the HLS
    # directory: run them as the invoking user (in containers the app user, never root).
    user = getpass.getuser() if os.geteuid() == 0 else ""
    return template.render(
        Context(
            {
                "rtmp_module": RTMP_MODULE,
                "user": user,
                "run_dir": run_dir,
                "error_log": run_dir / "error.log",
                "access_log": "off" if not os.environ.get("VIDEO_MEDIA_ACCESS_LOG") else run_dir / "access.log",
                "rtmp_listen": f"{config.listen}:{config.rtmp_port}",
                "http_listen": f"{config.listen}:{config.http_port}",
                "hls_dir": hls_dir,
                "hook_base": config.hook_base,
                "auth_url": config.auth_url,
                "publishers": config.publishers,
                "stat_allow": config.stat_allow,
            }
        )
    )


class MediaServer:
    """One nginx-rtmp process. `start()` renders the configuration, checks it (`nginx -t`), starts nginx
    and waits for both ports; `stop()` ends it and removes what it wrote (unless the directories were
    given)."""

    def __init__(self, config: MediaServerConfig) -> None:
        self.config = config
        self.process: subprocess.Popen | None = None
        self._own_run_dir = config.run_dir is None
        self.run_dir = Path(config.run_dir or tempfile.mkdtemp(prefix="wenjiang-media-"))
        self.hls_dir = Path(config.hls_dir or self.run_dir / "hls")
        self.conf_path = self.run_dir / "nginx.conf"

    def write_config(self) -> Path:
        if not Path(NGINX).exists():
            raise MediaServerError("nginx is not installed (apt-get install nginx-light libnginx-mod-rtmp)")
        if not Path(RTMP_MODULE).exists():
            raise MediaServerError(f"the RTMP module is missing ({RTMP_MODULE}): apt-get install libnginx-mod-rtmp")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.hls_dir.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(render(self.config, self.run_dir, self.hls_dir))
        check = subprocess.run(self._args("-t"), capture_output=True, text=True)
        if check.returncode != 0:
            raise MediaServerError(f"nginx refused {self.conf_path}:\n{check.stderr.strip()}")
        return self.conf_path

    def _args(self, *extra: str) -> list[str]:
        # -e: the early error log (before the configuration is read) goes here too, not /var/log/nginx.
        return [NGINX, "-c", str(self.conf_path), "-e", str(self.run_dir / "error.log"), *extra]

    def start(self, timeout: float = 15, **popen) -> MediaServer:
        self.write_config()
        self.process = subprocess.Popen(self._args(), start_new_session=True, **popen)
        deadline = time.monotonic() + timeout
        while not (self._listening(self.config.rtmp_port) and self._listening(self.config.http_port)):
            if self.process.poll() is not None:
                raise MediaServerError(f"nginx exited ({self.process.returncode}):\n{self.error_log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise MediaServerError(f"nginx did not open its ports in {timeout} s:\n{self.error_log()}")
            time.sleep(0.05)
        return self

    def _listening(self, port: int) -> bool:
        try:
            socket.create_connection((self.config._host, port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def error_log(self) -> str:
        path = self.run_dir / "error.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def playlist(self, stream: str) -> Path:
        return self.hls_dir / stream / "index.m3u8"

    def stat(self) -> str:
        """nginx-rtmp's /stat XML."""
        try:
            with urllib.request.urlopen(self.config.stat_url, timeout=3) as response:
                return response.read().decode()
        except urllib.error.URLError as exc:
            raise MediaServerError(f"no /stat from {self.config.stat_url}: {exc}") from exc

    def terminate(self) -> None:
        """Asks nginx to stop (fast shutdown of the master and its workers) without waiting: for a
        signal handler, while the main thread waits in `wait()`."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait(self) -> int:
        assert self.process is not None
        return self.process.wait()

    def stop(self, timeout: float = 10) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)  # nginx: fast shutdown, workers included
                self.process.wait(timeout=timeout)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        self.process = None
        if self._own_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> MediaServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
