"""The media servers' hooks: what nginx (auth_request), nginx-rtmp (on_publish, on_publish_done,
on_play), ZLMediaKit (JSON hooks) and MediaMTX (authHTTPAddress) ask Django.

Unauthenticated and CSRF-exempt (the callers are media servers, not browsers); they should be
reachable only from the media servers (deploy: nginx in front of Django denies /video/hooks/ from
outside). The play checks read the signed token only: no database on the path of every HLS request.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import services, tokens

log = logging.getLogger(__name__)


def local_slug() -> str:
    return getattr(settings, "VIDEO_LOCAL_SERVER", "local")


def _arg(args: str, name: str) -> str:
    return (parse_qs(args or "").get(name) or [""])[0]


@csrf_exempt
@require_GET
def auth(request, slug: str | None = None):
    """nginx auth_request: 204 when the HLS request's path carries a valid token for its stream,
    403 otherwise. X-Video-Token / X-Video-Stream (the config's parsed captures) may come with it;
    when they do they must agree with the URI."""
    slug = slug or local_slug()
    uri = request.headers.get("X-Original-URI", "")
    token, stream = request.headers.get("X-Video-Token", ""), request.headers.get("X-Video-Stream", "")
    if uri:
        checked = tokens.check_hls_uri(uri, server=slug)
        if checked is not None and token and (f"/{token}/{stream}/" not in uri.split("?", 1)[0]):
            checked = None
    elif token and stream:
        checked = tokens.check(token, server=slug, stream=stream)
    else:
        checked = None
    return HttpResponse(status=204 if checked is not None else 403)


def _server_or_403(slug: str | None):
    server = services.hook_server(slug or local_slug())
    if server is None:
        log.warning("video hook for an unknown or inactive media server %r", slug or local_slug())
    return server


@csrf_exempt
@require_POST
def publish(request, slug: str | None = None):
    """nginx-rtmp on_publish (form: name, args …): 200 lets the source publish, 403 refuses."""
    server = _server_or_403(slug)
    stream = request.POST.get("name", "")
    if server is None or not services.hook_publish(
        server=server, stream=stream, key=_arg(request.POST.get("args", ""), "key")
    ):
        return HttpResponse(status=403)
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def publish_done(request, slug: str | None = None):
    """nginx-rtmp on_publish_done: the camera goes offline."""
    server = _server_or_403(slug)
    if server is not None:
        services.hook_publish_done(server=server, stream=request.POST.get("name", ""))
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def play(request, slug: str | None = None):
    """nginx-rtmp on_play: an RTMP play needs `?token=` valid for the stream (no database)."""
    token = request.POST.get("token") or _arg(request.POST.get("args", ""), "token")
    allowed = services.hook_play(server_slug=slug or local_slug(), stream=request.POST.get("name", ""), token=token)
    return HttpResponse(status=200 if allowed else 403)


def _json(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


@csrf_exempt
@require_POST
def zlm_on_play(request, slug: str):
    """ZLMediaKit on_play (JSON: app, stream, params "token=…", schema …): {"code": 0} lets it play."""
    body = _json(request)
    token = _arg(str(body.get("params", "")), "token")
    allowed = services.hook_play(server_slug=slug, stream=str(body.get("stream", "")), token=token)
    return JsonResponse({"code": 0, "msg": "success"} if allowed else {"code": -1, "msg": "token refused"})


@csrf_exempt
@require_POST
def zlm_on_publish(request, slug: str):
    """ZLMediaKit on_publish: a registered camera's stream (and the server's secret as `key`)."""
    body = _json(request)
    server = _server_or_403(slug)
    ok = server is not None and services.hook_publish(
        server=server, stream=str(body.get("stream", "")), key=_arg(str(body.get("params", "")), "key")
    )
    return JsonResponse({"code": 0, "msg": "success", "enable_hls": True} if ok else {"code": -1, "msg": "refused"})


@csrf_exempt
@require_POST
def zlm_on_stream_changed(request, slug: str):
    """ZLMediaKit on_stream_changed (regist true/false): the camera goes online or offline."""
    body = _json(request)
    server = _server_or_403(slug)
    if server is not None and body.get("stream"):
        if body.get("regist"):
            services.hook_publish(server=server, stream=str(body["stream"]), key=server.secret)
        else:
            services.hook_publish_done(server=server, stream=str(body["stream"]))
    return JsonResponse({"code": 0, "msg": "success"})


@csrf_exempt
@require_POST
def mediamtx_auth(request, slug: str):
    """MediaMTX authMethod http (JSON: user, password, ip, action, path, protocol, id, query): a
    `read`/`playback` needs `token=` in the query (or as the password); a `publish` the server's
    secret as the password or `key=`. 200 allows, 401 refuses."""
    body = _json(request)
    action, path = str(body.get("action", "")), str(body.get("path", ""))
    query = str(body.get("query", ""))
    if action in ("read", "playback"):
        token = _arg(query, "token") or str(body.get("password", ""))
        ok = services.hook_play(server_slug=slug, stream=path, token=token)
    elif action == "publish":
        server = _server_or_403(slug)
        key = str(body.get("password", "")) or _arg(query, "key")
        ok = server is not None and services.hook_publish(server=server, stream=path, key=key)
    else:
        ok = False  # api, metrics, pprof: not through this hook
    return HttpResponse(status=200 if ok else 401)
