"""The media servers' hook URLs (under /video/hooks/). Without a slug: the local server
(VIDEO_LOCAL_SERVER), as deploy/media/nginx-rtmp.conf calls them."""

from django.urls import path

from . import hooks

urlpatterns = [
    path("auth/", hooks.auth, name="video-hook-auth"),
    path("publish/", hooks.publish, name="video-hook-publish"),
    path("publish-done/", hooks.publish_done, name="video-hook-publish-done"),
    path("play/", hooks.play, name="video-hook-play"),
    path("<slug:slug>/auth/", hooks.auth, name="video-hook-server-auth"),
    path("<slug:slug>/publish/", hooks.publish, name="video-hook-server-publish"),
    path("<slug:slug>/publish-done/", hooks.publish_done, name="video-hook-server-publish-done"),
    path("<slug:slug>/play/", hooks.play, name="video-hook-server-play"),
    path("<slug:slug>/zlm/on_play/", hooks.zlm_on_play, name="video-hook-zlm-play"),
    path("<slug:slug>/zlm/on_publish/", hooks.zlm_on_publish, name="video-hook-zlm-publish"),
    path("<slug:slug>/zlm/on_stream_changed/", hooks.zlm_on_stream_changed, name="video-hook-zlm-changed"),
    path("<slug:slug>/mediamtx/auth/", hooks.mediamtx_auth, name="video-hook-mediamtx-auth"),
]
