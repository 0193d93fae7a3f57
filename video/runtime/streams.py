"""Test-pattern cameras: ffmpeg draws `testsrc2` or `smptebars` with the camera's name and a clock, encodes
H.264 baseline with a 1 s GOP at a low bitrate, and publishes it over RTMP into the media server
(rtmp://…/live/<stream>). `Supervisor` keeps a set of them running and restarts one that dies.

CPU: 320×180 at 10 fps with x264's ultrafast preset costs about one percent of a core per stream (see
the README's figures); VIDEO_DEMO_STREAMS bounds how many `make run` starts.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
# A CJK font, so that Chinese camera names are drawn (fonts-noto-cjk, installed by scripts/setup.sh).
FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]
PATTERNS = ("testsrc2", "smptebars")


@dataclass(frozen=True)
class TestPattern:
    """One camera's stream: `stream` is its name on the media server, `label` what is drawn on it."""

    stream: str
    label: str = ""
    width: int = 320
    height: int = 180
    fps: int = 10
    bitrate_k: int = 150
    pattern: str = "testsrc2"


def _font() -> str | None:
    return next((font for font in FONTS if Path(font).exists()), None)


def ffmpeg_args(camera: TestPattern, rtmp_url: str, label_file: Path) -> list[str]:
    """ffmpeg's arguments for `camera`, publishing to `rtmp_url`/<stream>. The label is read from a file
    (drawtext's `textfile`) so that no camera name needs escaping in the filter graph."""
    source = f"{camera.pattern}=size={camera.width}x{camera.height}:rate={camera.fps}"
    font = _font()
    font_opt = f":fontfile={font}" if font else ""
    size = max(10, camera.height // 12)
    text = f"fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=3:fontsize={size}{font_opt}"
    draw = f"drawtext=textfile={label_file}:x=6:y=6:{text},drawtext=text='%{{localtime}}':x=6:y=h-th-8:{text}"
    gop = str(camera.fps)  # one key frame a second: 1 s HLS fragments, and a new player starts within one
    return [
        FFMPEG,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        source,
        "-vf",
        draw,
        "-c:v",
        "libx264",
        "-profile:v",
        "baseline",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
        "-g",
        gop,
        "-keyint_min",
        gop,
        "-sc_threshold",
        "0",
        "-b:v",
        f"{camera.bitrate_k}k",
        "-maxrate",
        f"{camera.bitrate_k}k",
        "-bufsize",
        f"{camera.bitrate_k * 2}k",
        "-threads",
        "1",
        "-an",
        "-f",
        "flv",
        f"{rtmp_url.rstrip('/')}/{camera.stream}",
    ]


class Publisher:
    """One ffmpeg process publishing one test pattern."""

    def __init__(self, camera: TestPattern, rtmp_url: str, work_dir: Path | None = None) -> None:
        self.camera = camera
        self.rtmp_url = rtmp_url
        self.work_dir = Path(work_dir or tempfile.gettempdir())
        self.process: subprocess.Popen | None = None
        self.label_file = self.work_dir / f"label-{camera.stream}.txt"

    def start(self) -> Publisher:
        if not Path(FFMPEG).exists():
            raise RuntimeError("ffmpeg is not installed (apt-get install ffmpeg)")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.label_file.write_text(self.camera.label or self.camera.stream, encoding="utf-8")
        self.process = subprocess.Popen(
            ffmpeg_args(self.camera, self.rtmp_url, self.label_file),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=timeout)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)

    def errors(self) -> str:
        """What a dead ffmpeg said (its last lines)."""
        if self.process is None or self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read().decode(errors="replace")[-500:].strip()


class Supervisor:
    """Keeps every publisher running: one that exits (ffmpeg crashed, the media server restarted) is
    started again after a back-off that grows to 30 s while it keeps failing."""

    def __init__(self, cameras: list[TestPattern], rtmp_url: str, work_dir: Path | None = None) -> None:
        self._own_work_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="wenjiang-streams-"))
        self.publishers = [Publisher(camera, rtmp_url, self.work_dir) for camera in cameras]
        self._stop = threading.Event()
        self.restarts = 0

    def run(self, poll: float = 1.0) -> None:
        """Starts every publisher, then watches them until `stop()` (or a signal handler calling it)."""
        backoff = {p.camera.stream: 1.0 for p in self.publishers}
        due = {p.camera.stream: 0.0 for p in self.publishers}
        started = {}
        for publisher in self.publishers:
            publisher.start()
            started[publisher.camera.stream] = time.monotonic()
            time.sleep(0.05)  # spread the key frames and the CPU peaks
        while not self._stop.wait(poll):
            now = time.monotonic()
            for publisher in self.publishers:
                stream = publisher.camera.stream
                if publisher.running:
                    if now - started[stream] > 60:
                        backoff[stream] = 1.0  # it ran long enough: the next failure starts again at 1 s
                    continue
                if due[stream] == 0.0:
                    log.warning("stream %s stopped: %s", stream, publisher.errors() or "no message")
                    due[stream] = now + backoff[stream]
                    backoff[stream] = min(backoff[stream] * 2, 30.0)
                elif now >= due[stream]:
                    publisher.start()
                    started[stream] = now
                    due[stream] = 0.0
                    self.restarts += 1
                    log.info("stream %s restarted", stream)
        for publisher in self.publishers:
            publisher.stop()
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def stop(self) -> None:
        self._stop.set()
