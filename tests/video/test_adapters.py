"""The media-server adapters against recorded answers (tests/video/fixtures, from the servers'
documentation): what each reports of its streams, the URLs it builds, its errors. nginx-rtmp itself
runs for real in test_nginx_token.py."""

from __future__ import annotations

import json
import os
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from video import tokens
from video.adapters import AdapterError, ServerInfo, adapter_for
from video.adapters.nginx_rtmp import parse_stat

FIXTURES = Path(__file__).parent / "fixtures"


class Answer:
    def __init__(self, body: bytes | str, status: int = 200, headers: dict | None = None):
        self.content = body.encode() if isinstance(body, str) else body
        self.status_code = status
        self.headers = headers or {}

    def json(self):
        return json.loads(self.content)


class Recorded:
    """A fake HTTP: answers by URL (and page), and remembers every request."""

    def __init__(self, answers):
        self.answers = answers
        self.calls: list[tuple] = []

    def __call__(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        answer = self.answers(method, url, kwargs) if callable(self.answers) else self.answers[url]
        if isinstance(answer, Exception):
            raise answer
        return answer


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


# --- nginx-rtmp ---------------------------------------------------------------------------------------


def test_nginx_stat_is_read_stream_by_stream():
    streams = parse_stat(fixture("nginx_rtmp_stat.xml"))
    assert streams["demo-01"] == {"app": "live", "publishing": True, "silent": False, "readers": 1, "codec": "h264"}
    assert streams["demo-02"]["publishing"] and streams["demo-02"]["silent"] and streams["demo-02"]["codec"] == "h265"
    assert streams["gone-03"]["publishing"] is False


def test_nginx_stat_that_is_not_xml_is_an_adapter_error():
    with pytest.raises(AdapterError):
        parse_stat("<html>502 Bad Gateway")


def nginx(tmp_path=None, **kw):
    info = ServerInfo(kind="nginx_rtmp", slug="local", api_url="http://media/stat", hls_url="http://media:8088/hls",
                      hls_dir=str(tmp_path) if tmp_path else "", **kw)  # fmt: skip
    return info


def write_playlist(directory: Path, stream: str, age: float) -> None:
    (directory / stream).mkdir(parents=True, exist_ok=True)
    playlist = directory / stream / "index.m3u8"
    playlist.write_text("#EXTM3U\n")
    then = time.time() - age
    os.utime(playlist, (then, then))


def test_nginx_health_joins_stat_and_the_playlists_age(tmp_path):
    write_playlist(tmp_path, "demo-01", age=2)
    fetch = Recorded({"http://media/stat": Answer(fixture("nginx_rtmp_stat.xml"))})
    health = adapter_for(nginx(tmp_path), fetch=fetch).streams()
    assert health["demo-01"].status == "online" and health["demo-01"].segment_age < 5
    assert health["demo-02"].status == "stalled"  # publishing, nothing received
    assert health["gone-03"].status == "offline"


def test_a_publishing_stream_whose_playlist_stopped_is_stalled(tmp_path):
    """The research's case: /stat says publishing (and even receiving), the HLS has no new segment."""
    write_playlist(tmp_path, "demo-01", age=120)
    fetch = Recorded({"http://media/stat": Answer(fixture("nginx_rtmp_stat.xml"))})
    assert adapter_for(nginx(tmp_path), fetch=fetch).streams()["demo-01"].status == "stalled"


def test_a_publishing_stream_without_a_playlist_is_stalled(tmp_path):
    fetch = Recorded({"http://media/stat": Answer(fixture("nginx_rtmp_stat.xml"))})
    assert adapter_for(nginx(tmp_path), fetch=fetch).streams()["demo-01"].status == "stalled"


def test_without_the_hls_directory_the_playlist_is_asked_over_http_with_a_token(settings):
    def answers(method, url, kwargs):
        if url.endswith("/stat"):
            return Answer(fixture("nginx_rtmp_stat.xml"))
        return Answer(b"", headers={"Last-Modified": formatdate(time.time() - 3, usegmt=True)})

    fetch = Recorded(answers)
    health = adapter_for(nginx(), fetch=fetch).streams()
    assert health["demo-01"].status == "online"
    head = [c for c in fetch.calls if c[0] == "HEAD"]
    assert len(head) == 2  # the two publishing streams, not the waiting player's
    url = head[0][1]
    token, stream = url.split("/hls/")[1].split("/")[:2]
    assert stream == "demo-01" and tokens.check(token, server="local", stream="demo-01") is not None


def test_an_unreachable_stat_page_is_an_adapter_error():
    fetch = Recorded({"http://media/stat": Answer("busy", status=503)})
    with pytest.raises(AdapterError):
        adapter_for(nginx(), fetch=fetch).streams()


def test_the_nginx_play_url_carries_the_token_in_its_path():
    adapter = adapter_for(nginx())
    assert adapter.play_url("demo-01", "TOKEN") == "http://media:8088/hls/TOKEN/demo-01/index.m3u8"


# --- MediaMTX -------------------------------------------------------------------------------------------


def mediamtx():
    return ServerInfo(kind="mediamtx", slug="mtx", api_url="http://mtx:9997", hls_url="http://mtx:8888")


def test_mediamtx_old_field_names():
    fetch = Recorded(lambda m, u, kw: Answer(fixture("mediamtx_paths_v1.json")))
    health = adapter_for(mediamtx(), fetch=fetch).streams()
    assert {n: (h.status, h.codec, h.readers) for n, h in health.items()} == {
        "cam-0001": ("online", "h264", 2),
        "cam-0002": ("offline", "", 0),
        "cam-0003": ("online", "h265", 0),
    }
    assert fetch.calls[0][1] == "http://mtx:9997/v3/paths/list"


def test_mediamtx_new_field_names_over_two_pages():
    pages = {0: "mediamtx_paths_v2.json", 1: "mediamtx_paths_v2_page2.json"}
    fetch = Recorded(lambda m, u, kw: Answer(fixture(pages[kw["params"]["page"]])))
    health = adapter_for(mediamtx(), fetch=fetch).streams()
    assert {n: (h.status, h.codec) for n, h in health.items()} == {
        "cam-0001": ("online", "h264"),
        "cam-0002": ("offline", ""),
        "cam-0004": ("online", "vp9"),
    }
    assert [kw["params"]["page"] for _m, _u, kw in fetch.calls] == [0, 1]


def test_mediamtx_answer_without_items_is_an_adapter_error():
    fetch = Recorded(lambda m, u, kw: Answer('{"error": "authentication error"}'))
    with pytest.raises(AdapterError):
        adapter_for(mediamtx(), fetch=fetch).streams()


def test_mediamtx_play_url():
    assert adapter_for(mediamtx()).play_url("cam-0001", "T") == "http://mtx:8888/cam-0001/index.m3u8?token=T"


# --- ZLMediaKit -----------------------------------------------------------------------------------------


def zlm():
    return ServerInfo(kind="zlmediakit", slug="zlm", api_url="http://zlm:8080", hls_url="http://zlm:8080",
                      rtmp_url="rtmp://zlm:1935/live", secret="035c73f7-bb6b-4889-a715-d9eb2d1925cc")  # fmt: skip


def test_zlm_media_list_merges_the_protocols_of_a_stream():
    fetch = Recorded(lambda m, u, kw: Answer(fixture("zlm_getMediaList.json")))
    health = adapter_for(zlm(), fetch=fetch).streams()
    assert {n: (h.status, h.codec, h.readers) for n, h in health.items()} == {
        "cam-0001": ("online", "h264", 3),
        "cam-0005": ("stalled", "h265", 0),  # listed, but no byte comes in
    }
    _method, url, kw = fetch.calls[0]
    assert url == "http://zlm:8080/index/api/getMediaList" and kw["params"]["secret"] == zlm().secret


def test_zlm_is_media_online():
    fetch = Recorded(lambda m, u, kw: Answer(fixture("zlm_isMediaOnline.json")))
    assert adapter_for(zlm(), fetch=fetch).is_online("cam-0001") is True
    assert fetch.calls[0][2]["params"]["stream"] == "cam-0001"


def test_zlm_error_code_is_an_adapter_error():
    fetch = Recorded(lambda m, u, kw: Answer(fixture("zlm_error.json")))
    with pytest.raises(AdapterError, match="Incorrect secret"):
        adapter_for(zlm(), fetch=fetch).streams()


def test_zlm_snapshot_is_the_jpeg_getsnap_answers():
    jpeg = b"\xff\xd8\xff\xe0" + b"0" * 100
    fetch = Recorded(lambda m, u, kw: Answer(jpeg))
    assert adapter_for(zlm(), fetch=fetch).snapshot("cam-0001", token="T") == jpeg
    params = fetch.calls[0][2]["params"]
    assert params["url"] == "rtmp://zlm:1935/live/cam-0001?token=T" and params["timeout_sec"] == 10


def test_zlm_snapshot_that_is_not_a_jpeg_is_an_adapter_error():
    fetch = Recorded(lambda m, u, kw: Answer(fixture("zlm_error.json")))
    with pytest.raises(AdapterError):
        adapter_for(zlm(), fetch=fetch).snapshot("cam-0001", token="T")


def test_zlm_play_url():
    assert adapter_for(zlm()).play_url("cam-0001", "T") == "http://zlm:8080/live/cam-0001/hls.m3u8?token=T"


# --- wvp-GB28181-pro --------------------------------------------------------------------------------------


def wvp():
    return ServerInfo(kind="wvp", slug="wvp", api_url="http://wvp:18080", secret="ACCESS")


def test_wvp_26_channel_list():
    fetch = Recorded(lambda m, u, kw: Answer(fixture("wvp_channels_26.json")))
    channels = adapter_for(wvp(), fetch=fetch).channels()
    first = channels[0]
    assert (first.code, first.name, first.device_code, first.lat, first.lng, first.online, first.ptz) == (
        "51011501001320000001", "柳城街道光华大道口", "51011501001180000001", 30.6921, 103.8452, True, True
    )  # fmt: skip
    assert (channels[1].online, channels[1].ptz) == (False, False)
    assert fetch.calls[0][2]["headers"] == {"access-token": "ACCESS"}
    assert len(fetch.calls) == 1  # total 3, all on the first page


def test_wvp_27_channel_list():
    fetch = Recorded(lambda m, u, kw: Answer(fixture("wvp_channels_27.json")))
    channels = adapter_for(wvp(), fetch=fetch).channels()
    assert [(c.code, c.online, c.ptz, c.device_code) for c in channels] == [
        ("51011501011326900101", True, True, "51011501011186000001"),
        ("51011501011326900102", False, False, "51011501011186000001"),
    ]
    health = adapter_for(wvp(), fetch=fetch).streams()
    assert health["51011501011326900101"].status == "online" and health["51011501011326900102"].status == "offline"


def test_wvp_play_start_gives_the_hls_url_with_the_token():
    fetch = Recorded(lambda m, u, kw: Answer(fixture("wvp_play_start.json")))
    url = adapter_for(wvp(), fetch=fetch).play_url_for("51011501001180000001", "51011501001320000001", "T")
    assert url == "http://10.1.2.3:80/rtp/51011501001180000001_51011501001320000001/hls.m3u8?token=T"
    assert fetch.calls[0][1] == "http://wvp:18080/api/play/start/51011501001180000001/51011501001320000001"


def test_wvp_play_error_is_an_adapter_error():
    fetch = Recorded(lambda m, u, kw: Answer(fixture("wvp_play_error.json")))
    with pytest.raises(AdapterError, match="设备不在线"):
        adapter_for(wvp(), fetch=fetch).play_start("1", "2")


def test_plain_media_servers_have_no_channel_list():
    with pytest.raises(NotImplementedError):
        adapter_for(nginx()).channels()
