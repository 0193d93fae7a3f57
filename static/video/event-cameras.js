/* The event page's "Cameras nearby" panel: the nearest online cameras the user may watch for this
   alarm (GET /api/cameras/nearest/), one click plays one inline (purpose: alarm response, with the
   event), and a snapshot of the camera goes into the event's timeline (POST /api/snapshots/). */
(function () {
  "use strict";
  const root = document.getElementById("event-cameras");
  if (!root || !window.VideoPlayer) return;
  const gettext = window.gettext || ((s) => s);
  const list = root.querySelector("[data-list]");
  const tile = document.getElementById("event-player");
  const tools = document.getElementById("event-player-tools");
  const result = root.querySelector("[data-snapshot-result]");
  const eventId = Number(root.dataset.event);
  const NETWORKS = {tianwang: gettext("Skynet"), xueliang: gettext("Sharp Eyes"), huiyan: gettext("Household"), other: gettext("Other")};
  let player = null;
  let playing = null;

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function distance(m) {
    return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
  }

  function render(cameras) {
    list.textContent = "";
    if (!cameras.length) {
      const li = document.createElement("li");
      li.className = "muted small";
      li.textContent = gettext("No online camera you may watch near this event.");
      list.appendChild(li);
      return;
    }
    for (const camera of cameras) {
      const li = document.createElement("li");
      li.className = "camera-nearby-item";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "camera-play";
      button.dataset.camera = camera.id;
      const name = document.createElement("span");
      name.className = "camera-name";
      name.textContent = camera.name;
      const meta = document.createElement("span");
      meta.className = "muted small";
      meta.textContent = `${NETWORKS[camera.network] || camera.network} · ${distance(camera.distance_m)}`;
      button.append(name, meta);
      if (camera.playable === false) {
        // Registered, but no stream a browser can play (not on a media server, or H.265).
        button.disabled = true;
        meta.textContent += ` · ${camera.codec === "h265" ? gettext("H.265, needs transcoding") : gettext("no video stream")}`;
      } else {
        button.addEventListener("click", () => play(camera, button));
      }
      li.appendChild(button);
      list.appendChild(li);
    }
  }

  async function play(camera, button) {
    let reason = "";
    if (camera.network === "huiyan" || camera.household) {
      const answer = await VideoPlayer.askPurpose({household: true, name: camera.name, preset: "alarm", event: eventId});
      if (!answer) return;
      if (answer.purpose !== "alarm") {
        // Another purpose from the event page: the play is recorded for it, without the event.
        startPlayer(camera, button, {purpose: answer.purpose, reason: answer.reason, event: null});
        return;
      }
      reason = answer.reason;
    }
    startPlayer(camera, button, {purpose: "alarm", event: eventId, reason: reason});
  }

  function startPlayer(camera, button, options) {
    tile.hidden = false;
    tools.hidden = false;
    result.hidden = true;
    if (!player) player = new VideoPlayer(tile, {});
    playing = camera;
    for (const b of list.querySelectorAll(".camera-play")) b.removeAttribute("aria-current");
    button.setAttribute("aria-current", "true");
    tools.querySelector("[data-playing-name]").textContent = camera.name;
    player.play(camera.id, options);
  }

  tools.querySelector("[data-stop]").addEventListener("click", () => {
    if (player) player.stop();
    tile.hidden = true;
    tools.hidden = true;
    playing = null;
  });

  tools.querySelector("[data-snapshot]").addEventListener("click", async (e) => {
    if (!playing) return;
    const button = e.currentTarget;
    button.disabled = true;
    result.hidden = false;
    result.textContent = gettext("Taking a snapshot…");
    try {
      const response = await fetch("/api/snapshots/", {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json"},
        body: JSON.stringify({camera: playing.id, event: eventId, purpose: "alarm"}),
      });
      const data = await response.json().catch(() => ({}));
      if (response.status === 201) {
        result.textContent = gettext("Snapshot added to the timeline. Reloading…");
        setTimeout(() => window.location.reload(), 800);
      } else {
        result.textContent = data.detail || gettext("The snapshot failed.");
      }
    } catch (err) {
      result.textContent = gettext("Network error, try again.");
    } finally {
      button.disabled = false;
    }
  });

  async function load() {
    const params = new URLSearchParams({lat: root.dataset.lat, lng: root.dataset.lng, n: "10", purpose: "alarm"});
    try {
      const response = await fetch(`/api/cameras/nearest/?${params}`, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      render(Array.isArray(data) ? data : data.results || []);
    } catch (e) {
      list.textContent = "";
      const li = document.createElement("li");
      li.className = "muted small";
      li.textContent = gettext("Cameras could not be loaded.");
      list.appendChild(li);
    }
  }

  load();
})();
