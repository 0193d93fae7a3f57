"""The media servers' hooks over HTTP (Django's test client): the auth_request answer from the token
alone (no database query), nginx-rtmp's publish/play hooks, ZLMediaKit's and MediaMTX's."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from video import tokens
from video.choices import CameraStatus
from video.models import MediaServer

pytestmark = pytest.mark.django_db


def sign(stream="demo-01", server="local", ttl=60):
    return tokens.sign(server=server, stream=stream, viewing=uuid.uuid4().hex, expires=int(time.time()) + ttl)


def test_auth_answers_from_the_token_without_the_database(client):
    good = sign()
    with CaptureQueriesContext(connection) as queries:
        ok = client.get("/video/hooks/auth/", HTTP_X_ORIGINAL_URI=f"/hls/{good}/demo-01/index.m3u8")
        segment = client.get("/video/hooks/auth/", HTTP_X_ORIGINAL_URI=f"/hls/{good}/demo-01/17.ts?x=1")
    assert (ok.status_code, segment.status_code) == (204, 204)
    assert len(queries) == 0


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "/hls/demo-01/index.m3u8",
        "/hls/garbage/demo-01/index.m3u8",
        "/hls/{good}/demo-02/index.m3u8",  # another stream
        "/hls/{good}/demo-01/../demo-02/index.m3u8",
        "/hls/{expired}/demo-01/index.m3u8",
        "/hls/{other}/demo-01/index.m3u8",  # signed for another server
        "/hls/{good}/demo-01/index.html",
    ],
)
def test_auth_refuses(client, uri):
    uri = uri.format(good=sign(), expired=sign(ttl=-5), other=sign(server="zlm"))
    assert client.get("/video/hooks/auth/", HTTP_X_ORIGINAL_URI=uri).status_code == 403


def test_auth_checks_the_parsed_headers_against_the_uri(client):
    good = sign()
    uri = f"/hls/{good}/demo-01/index.m3u8"
    assert (
        client.get(
            "/video/hooks/auth/", HTTP_X_ORIGINAL_URI=uri, HTTP_X_VIDEO_TOKEN=good, HTTP_X_VIDEO_STREAM="demo-01"
        ).status_code
        == 204
    )
    assert (
        client.get(
            "/video/hooks/auth/", HTTP_X_ORIGINAL_URI=uri, HTTP_X_VIDEO_TOKEN=good, HTTP_X_VIDEO_STREAM="demo-02"
        ).status_code
        == 403
    )
    assert client.get("/video/hooks/auth/", HTTP_X_VIDEO_TOKEN=good, HTTP_X_VIDEO_STREAM="demo-01").status_code == 204
    assert client.get("/video/hooks/auth/", HTTP_X_VIDEO_TOKEN=good, HTTP_X_VIDEO_STREAM="demo-02").status_code == 403


def test_a_server_slug_in_the_url_checks_for_that_server(client):
    assert (
        client.get(
            "/video/hooks/zlm/auth/", HTTP_X_ORIGINAL_URI=f"/hls/{sign('a', server='zlm')}/a/index.m3u8"
        ).status_code
        == 204
    )
    assert client.get("/video/hooks/zlm/auth/", HTTP_X_ORIGINAL_URI=f"/hls/{sign('a')}/a/index.m3u8").status_code == 403


def test_nginx_rtmp_publish_and_done_set_the_camera_online_and_offline(client, camera):
    cam = camera(status=CameraStatus.UNKNOWN)
    form = {"call": "publish", "app": "live", "name": cam.stream, "args": "", "addr": "127.0.0.1"}
    assert client.post("/video/hooks/publish/", form).status_code == 200
    cam.refresh_from_db()
    assert cam.status == "online"
    assert client.post("/video/hooks/publish/", {**form, "name": "unknown"}).status_code == 403
    assert client.post("/video/hooks/publish-done/", form).status_code == 200
    cam.refresh_from_db()
    assert cam.status == "offline"
    assert client.get("/video/hooks/publish/").status_code == 405


def test_publish_needs_the_servers_key_when_it_has_one(client, camera, local):
    local.secret = "pub-key"
    local.save()
    cam = camera()
    form = {"name": cam.stream, "args": "key=wrong"}
    assert client.post("/video/hooks/publish/", form).status_code == 403
    assert client.post("/video/hooks/publish/", {**form, "args": "key=pub-key&x=1"}).status_code == 200


def test_an_unknown_or_inactive_server_refuses_publishing(client, camera, local):
    cam = camera()
    assert client.post("/video/hooks/nowhere/publish/", {"name": cam.stream}).status_code == 403
    MediaServer.objects.filter(pk=local.pk).update(active=False)
    assert client.post("/video/hooks/publish/", {"name": cam.stream}).status_code == 403


def test_rtmp_play_needs_a_token_in_its_args(client):
    assert client.post("/video/hooks/play/", {"name": "demo-01", "args": f"token={sign()}"}).status_code == 200
    assert client.post("/video/hooks/play/", {"name": "demo-01", "args": ""}).status_code == 403
    assert client.post("/video/hooks/play/", {"name": "demo-02", "args": f"token={sign()}"}).status_code == 403


def test_zlmediakit_hooks(client, camera, local):
    zlm = MediaServer.objects.create(name="ZLM", slug="zlm", kind="zlmediakit", secret="s")
    cam = camera(media_server=zlm)

    def play(body):
        return client.post("/video/hooks/zlm/zlm/on_play/", json.dumps(body), content_type="application/json").json()

    assert play({"app": "live", "stream": cam.stream, "params": f"token={sign(cam.stream, 'zlm')}"})["code"] == 0
    assert play({"app": "live", "stream": cam.stream, "params": "token=bad"})["code"] == -1
    assert play({"app": "live", "stream": cam.stream})["code"] == -1
    changed = lambda regist: client.post(  # noqa: E731
        "/video/hooks/zlm/zlm/on_stream_changed/",
        json.dumps({"stream": cam.stream, "regist": regist, "schema": "rtmp"}),
        content_type="application/json",
    )
    assert changed(False).json()["code"] == 0
    cam.refresh_from_db()
    assert cam.status == "offline"
    changed(True)
    cam.refresh_from_db()
    assert cam.status == "online"
    publish = client.post(
        "/video/hooks/zlm/zlm/on_publish/",
        json.dumps({"stream": cam.stream, "params": "key=s"}),
        content_type="application/json",
    )
    assert publish.json()["code"] == 0
    assert (
        client.post("/video/hooks/zlm/zlm/on_play/", "not json", content_type="application/json").json()["code"] == -1
    )


def test_mediamtx_auth_hook(client, camera):
    mtx = MediaServer.objects.create(name="MTX", slug="mtx", kind="mediamtx", secret="pub")
    cam = camera(media_server=mtx)

    def auth(body):
        url = "/video/hooks/mtx/mediamtx/auth/"
        return client.post(url, json.dumps(body), content_type="application/json").status_code

    base = {"user": "", "password": "", "ip": "127.0.0.1", "path": cam.stream, "protocol": "hls", "id": None}
    assert auth({**base, "action": "read", "query": f"token={sign(cam.stream, 'mtx')}"}) == 200
    assert auth({**base, "action": "read", "query": ""}) == 401
    assert auth({**base, "action": "read", "password": sign(cam.stream, "mtx")}) == 200
    assert auth({**base, "action": "publish", "password": "pub"}) == 200
    assert auth({**base, "action": "publish", "password": "nope"}) == 401
    assert auth({**base, "action": "api"}) == 401
