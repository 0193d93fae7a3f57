/* The platform's one video player (hls.js, static/vendor/hls): a tile plays one camera.

   const player = new VideoPlayer(tileElement, {purpose: "patrol", event: 12});
   player.play(cameraId);   // asks the platform for a token-bearing HLS URL, then plays it
   player.stop();           // ends the viewing

   - Every play asks `POST /api/cameras/{id}/play/` (the platform checks who may watch, consent and
     purpose, records the viewing and signs a short-lived token); the media server checks the token on
     every playlist and segment request.
   - A tile that makes no progress for `stallSeconds` reloads itself with a fresh token; a camera whose
     stream is gone is shown offline and retried every few seconds, and plays again when it returns.
   - While it plays, the viewing is kept alive (heartbeat) and ended when the tile stops or the page goes.
   The tile's state is in `tile.dataset.state`: idle, loading, playing, stalled, offline, refused, error.
*/
(function () {
  "use strict";

  const gettext = window.gettext || ((s) => s);

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json"},
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return {status: response.status, data: data};
  }

  function detail(data) {
    if (!data) return "";
    if (typeof data.detail === "string") return data.detail;
    for (const key of Object.keys(data)) {
      const v = data[key];
      if (Array.isArray(v) && v.length) return String(v[0]);
      if (typeof v === "string") return v;
    }
    return "";
  }

  const URLS = {
    play: (id) => `/api/cameras/${id}/play/`,
    heartbeat: (id) => `/api/viewings/${id}/heartbeat/`,
    end: (id) => `/api/viewings/${id}/end/`,
  };

  class VideoPlayer {
    constructor(tile, options) {
      this.tile = tile;
      this.options = Object.assign({
        purpose: "", event: null, stallSeconds: 6, offlineRetrySeconds: 3, heartbeatSeconds: 30,
        muted: true, onState: null,
      }, options || {});
      this.video = tile.querySelector("video") || document.createElement("video");
      this.video.muted = this.options.muted;
      this.video.playsInline = true;
      this.video.autoplay = true;
      this.video.setAttribute("playsinline", "");
      if (!this.video.parentNode) tile.appendChild(this.video);
      this.overlay = tile.querySelector(".vp-overlay");
      if (!this.overlay) {
        this.overlay = document.createElement("div");
        this.overlay.className = "vp-overlay";
        this.overlay.setAttribute("role", "status");
        tile.appendChild(this.overlay);
      }
      this.hls = null;
      this.cameraId = null;
      this.viewing = null;
      this.generation = 0;  // bumps on every (re)start: late callbacks of an older start are ignored
      this.timers = [];
      this.lastTime = -1;
      this.lastProgress = 0;
      this.restarts = 0;
      this._onUnload = () => this._endViewing(true);
      window.addEventListener("pagehide", this._onUnload);
      this._setState("idle");
    }

    /* Plays `cameraId` (options may change the purpose or event for this play). */
    play(cameraId, options) {
      if (options) Object.assign(this.options, options);
      this._teardown(true);
      this.cameraId = String(cameraId);
      this.tile.dataset.camera = this.cameraId;
      this.restarts = 0;
      this._start();
    }

    stop() {
      this._teardown(true);
      this.cameraId = null;
      delete this.tile.dataset.camera;
      this._setState("idle");
    }

    destroy() {
      this.stop();
      window.removeEventListener("pagehide", this._onUnload);
    }

    async _start() {
      const generation = ++this.generation;
      this._setState("loading", gettext("Connecting…"));
      let answer;
      try {
        const body = {purpose: this.options.purpose || "", reason: this.options.reason || ""};
        if (this.options.event) body.event = this.options.event;
        if (this.options.tour) body.tour = this.options.tour;
        answer = await postJSON(URLS.play(this.cameraId), body);
      } catch (e) {
        if (generation === this.generation) this._retryLater("error", gettext("Network error, retrying…"));
        return;
      }
      if (generation !== this.generation) return;
      const data = answer.data || {};
      if (answer.status === 409 && data.problem && data.problem !== "offline") {
        // Not playable in a browser at all (no stream, H.265): say why, do not retry.
        this._setState("refused", detail(data) || gettext("This camera cannot be played here"));
        return;
      }
      if (answer.status === 409 || (answer.status === 200 && data.online === false)) {
        // The platform knows the camera is offline: wait for it.
        this._retryLater("offline", detail(data) || gettext("Camera offline"));
        return;
      }
      if (answer.status === 403 || answer.status === 404 || answer.status === 400) {
        this._setState("refused", detail(data) || gettext("You may not watch this camera"));
        return;
      }
      if (answer.status !== 200 && answer.status !== 201) {
        this._retryLater("error", detail(data) || gettext("The video service did not answer, retrying…"));
        return;
      }
      this.viewing = data.viewing || data.viewing_id || null;
      this.tile.dataset.viewing = this.viewing || "";
      this.firstToken = this.token = data.token || "";
      this._load(data.url || data.hls_url, generation, data.expires_at || data.expires);
    }

    _load(url, generation, expires) {
      const video = this.video;
      const Hls = window.Hls;
      this.lastTime = -1;
      this.lastProgress = Date.now();
      if (Hls && Hls.isSupported()) {
        const hls = new Hls({
          liveSyncDurationCount: 2,
          liveMaxLatencyDurationCount: 6,
          maxBufferLength: 6,
          backBufferLength: 4,
          manifestLoadingMaxRetry: 1,
          levelLoadingMaxRetry: 2,
          fragLoadingMaxRetry: 2,
          enableWorker: true,
          // The heartbeat renews the token; requests made after it carry the fresh one (the playlist
          // URL and the segments resolved against it still hold the first).
          xhrSetup: (xhr, requestUrl) => {
            if (this.token && this.firstToken && this.token !== this.firstToken) {
              xhr.open("GET", requestUrl.split(this.firstToken).join(this.token), true);
            }
          },
        });
        this.hls = hls;
        hls.on(Hls.Events.ERROR, (_, err) => {
          if (generation !== this.generation || !err.fatal) return;
          const code = err.response && err.response.code;
          if (code === 404) {
            this._retryLater("offline", gettext("Camera offline"));  // the media server has no such stream (now)
          } else if (code === 401 || code === 403) {
            this._restart(gettext("Token refused, asking again…"));  // expired: a fresh token, or the platform says no
          } else {
            this._restart(gettext("Reconnecting…"));
          }
        });
        hls.loadSource(url);
        hls.attachMedia(video);
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = url;  // Safari plays HLS itself; the token is in the path, so segments carry it
      } else {
        this._setState("error", gettext("This browser cannot play live video"));
        return;
      }
      const p = video.play();
      if (p && p.catch) p.catch(() => {});
      this._every(1000, () => this._watch(generation));
      this._every(this.options.heartbeatSeconds * 1000, () => this._heartbeat());
    }

    _watch(generation) {
      if (generation !== this.generation) return;
      const now = Date.now();
      const time = this.video.currentTime;
      if (time > this.lastTime + 0.01) {
        this.lastTime = time;
        this.lastProgress = now;
        if (time > 0 && this.tile.dataset.state !== "playing") {
          this.restarts = 0;
          this._setState("playing", "");
        }
        return;
      }
      const still = (now - this.lastProgress) / 1000;
      if (still >= this.options.stallSeconds) {
        this._restart(gettext("Stalled, reloading…"));
      } else if (still >= 2 && this.tile.dataset.state === "playing") {
        this._setState("stalled", gettext("Waiting for video…"));
      }
    }

    _restart(message) {
      this.restarts += 1;
      this._teardown(false);
      if (this.restarts > 3) {
        // Several restarts without a frame: say so, and keep trying at the offline pace.
        this._retryLater("offline", gettext("Camera offline"));
        return;
      }
      this._setState("loading", message || gettext("Connecting…"));
      this._start();
    }

    _retryLater(state, message) {
      this._teardown(false);
      this._setState(state, message);
      const generation = ++this.generation;
      this._after(this.options.offlineRetrySeconds * 1000, () => {
        if (generation === this.generation && this.cameraId) this._start();
      });
    }

    /* Keeps the viewing alive and renews the token (the platform checks the consent again: a household
       that withdrew it stops the play here). */
    async _heartbeat() {
      if (!this.viewing) return;
      const generation = this.generation;
      let answer;
      try { answer = await postJSON(URLS.heartbeat(this.viewing), {}); } catch (e) { return; }
      if (generation !== this.generation) return;
      if (answer.status === 200 && answer.data && answer.data.token) {
        this.token = answer.data.token;
      } else if (answer.status === 403 || answer.status === 404) {
        this.viewing = null;
        this._teardown(false);
        this._setState("refused", detail(answer.data) || gettext("You may not watch this camera"));
      }
    }

    _endViewing(unloading) {
      const viewing = this.viewing;
      this.viewing = null;
      delete this.tile.dataset.viewing;
      if (!viewing) return;
      const url = URLS.end(viewing);
      if (unloading && navigator.sendBeacon) {
        const form = new FormData();
        form.append("csrfmiddlewaretoken", csrfToken());
        navigator.sendBeacon(url, form);
      } else {
        postJSON(url, {}).catch(() => {});
      }
    }

    _teardown(endViewing) {
      this.generation += 1;
      this.timers.forEach((id) => { clearInterval(id); clearTimeout(id); });
      this.timers = [];
      if (this.hls) {
        this.hls.destroy();
        this.hls = null;
      }
      this.video.removeAttribute("src");
      try { this.video.load(); } catch (e) { /* nothing loaded */ }
      if (endViewing) this._endViewing(false);
    }

    _every(ms, fn) { this.timers.push(setInterval(fn, ms)); }
    _after(ms, fn) { this.timers.push(setTimeout(fn, ms)); }

    _setState(state, message) {
      this.tile.dataset.state = state;
      this.overlay.textContent = message || "";
      this.overlay.hidden = !message;
      if (this.options.onState) this.options.onState(state, message, this);
    }
  }

  /* Asks why the user watches (the page's <dialog id="purpose-dialog">): resolves to {purpose, reason},
     or null when cancelled. `preset` preselects a purpose; `household` shows the consent note. */
  VideoPlayer.askPurpose = function (options) {
    const dialog = document.getElementById("purpose-dialog");
    options = options || {};
    if (!dialog || !dialog.showModal) return Promise.resolve({purpose: options.preset || "patrol", reason: ""});
    const form = dialog.querySelector("form");
    const error = dialog.querySelector("[data-purpose-error]");
    dialog.querySelector("[data-household-hint]").hidden = !options.household;
    dialog.querySelector("[data-camera-name]").textContent = options.name || "";
    if (options.preset) {
      const radio = form.querySelector(`input[name=purpose][value="${options.preset}"]`);
      if (radio) radio.checked = true;
    }
    form.reason.value = "";
    error.hidden = true;
    return new Promise((resolve) => {
      const done = (value) => {
        dialog.removeEventListener("close", onClose);
        form.removeEventListener("submit", onSubmit);
        resolve(value);
      };
      const onSubmit = (e) => {
        if (e.submitter && e.submitter.value === "cancel") return;  // the dialog closes itself
        const purpose = (form.querySelector("input[name=purpose]:checked") || {}).value;
        const reason = form.reason.value.trim();
        if (purpose === "investigation" && reason.length < 4) {
          e.preventDefault();
          error.textContent = gettext("An investigation needs a reason.");
          error.hidden = false;
          return;
        }
        if (purpose === "alarm" && !options.event) {
          e.preventDefault();
          error.textContent = gettext("An alarm response is chosen from the event's page.");
          error.hidden = false;
          return;
        }
        e.preventDefault();
        dialog.close();
        done({purpose: purpose, reason: reason});
      };
      const onClose = () => done(null);
      form.addEventListener("submit", onSubmit);
      dialog.addEventListener("close", onClose);
      dialog.showModal();
    });
  };

  VideoPlayer.URLS = URLS;
  window.VideoPlayer = VideoPlayer;
})();
