"""wvp-GB28181-pro: a GB/T 28181 platform in front of ZLMediaKit. Its channel list is what the
registry imports (`channels`), its `play/start` what a play asks for (the answer carries flv, ws_flv,
fmp4, hls, rtsp and rtc URLs; the browser gets the HLS one with the token). Both naming generations
are read: 2.6 (`channelId`, `longitude`, `status` 1/0) and 2.7+ (`gbDeviceId`, `gbLongitude`,
`gbStatus` "ON"/"OFF"). The server's `secret` is sent as wvp's `access-token`."""

from __future__ import annotations

from .base import AdapterError, ChannelInfo, MediaAdapter, StreamHealth

PAGE = 200


def _first(item: dict, *keys, default=None):
    for key in keys:
        if item.get(key) not in (None, ""):
            return item[key]
    return default


def _online(value) -> bool:
    return str(value).strip().upper() in {"1", "ON", "TRUE", "ONLINE"}


def channel_of(item: dict) -> ChannelInfo:
    """One channel row of a wvp list (either generation)."""
    lat = _first(item, "gbLatitude", "latitude")
    lng = _first(item, "gbLongitude", "longitude")
    ptz = _first(item, "gbPtzType", "ptzType", default=0)
    return ChannelInfo(
        code=str(_first(item, "gbDeviceId", "channelId", "deviceId", default="")),
        name=str(_first(item, "gbName", "name", default="")),
        device_code=str(_first(item, "parentDeviceId", "deviceId", "gbParentId", default="")),
        lat=float(lat) if lat not in (None, "") else None,
        lng=float(lng) if lng not in (None, "") else None,
        online=_online(_first(item, "gbStatus", "status", default=0)),
        ptz=str(ptz) in {"1", "4"},  # 1 dome (球机), 4 remote-controlled bullet; 2 half dome, 3 fixed
        address=str(_first(item, "gbAddress", "address", default="") or ""),
        extra={k: item[k] for k in ("manufacture", "gbManufacturer", "model", "gbModel") if k in item},
    )


def channels_from_answer(body) -> list[ChannelInfo]:
    """The channels of one list answer ({code, data: {total, list}} or a bare list)."""
    if isinstance(body, dict):
        if body.get("code") not in (0, None):
            raise AdapterError(f"wvp: {body.get('msg')}")
        data = body.get("data", body)
        rows = data.get("list") if isinstance(data, dict) else data
    else:
        rows = body
    if not isinstance(rows, list):
        raise AdapterError("wvp: no channel list in the answer")
    return [channel_of(row) for row in rows if isinstance(row, dict)]


class WvpAdapter(MediaAdapter):
    kind = "wvp"

    def _headers(self) -> dict:
        return {"access-token": self.server.secret} if self.server.secret else {}

    def channels(self) -> list[ChannelInfo]:
        base = self.server.api_url.rstrip("/")
        out: list[ChannelInfo] = []
        page = 1
        while True:
            body = self.fetch_json(
                "GET", f"{base}/api/common/channel/list", params={"page": page, "count": PAGE}, headers=self._headers()
            )
            rows = channels_from_answer(body)
            out.extend(rows)
            total = int((body.get("data") or {}).get("total") or 0) if isinstance(body, dict) else len(rows)
            if not rows or len(out) >= total:
                return out
            page += 1

    def streams(self) -> dict[str, StreamHealth]:
        """wvp reports channels, not streams: a channel's code stands for its stream."""
        return {c.code: StreamHealth(name=c.code, publishing=c.online) for c in self.channels()}

    def play_start(self, device_code: str, channel_code: str) -> dict:
        body = self.fetch_json(
            "GET",
            f"{self.server.api_url.rstrip('/')}/api/play/start/{device_code}/{channel_code}",
            headers=self._headers(),
        )
        if not isinstance(body, dict) or body.get("code") != 0 or not isinstance(body.get("data"), dict):
            raise AdapterError(f"wvp play/start: {body.get('msg') if isinstance(body, dict) else body!r}")
        return body["data"]

    def play_url_for(self, device_code: str, channel_code: str, token: str) -> str:
        """The HLS URL wvp's ZLMediaKit serves for the channel, with the token for its on_play hook."""
        data = self.play_start(device_code, channel_code)
        hls = data.get("hls") or (data.get("streamInfo") or {}).get("hls")
        if not hls:
            raise AdapterError("wvp play/start: no HLS URL")
        return f"{hls}{'&' if '?' in hls else '?'}token={token}"
