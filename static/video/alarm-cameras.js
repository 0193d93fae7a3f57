/* The dashboard's alarms, with video: each alarm row gets a "视频" button that opens the nearest online
   cameras the user may watch around the event (GET /api/cameras/nearest/, from the event's position)
   and plays one in one click (purpose: alarm response, with the event). Rows are added by
   static/js/dashboard.js as alarms arrive; this script only watches the list. */
(function () {
  "use strict";
  const list = document.getElementById("alarms");
  const dialog = document.getElementById("alarm-video");
  if (!list || !dialog || !window.VideoPlayer) return;
  const gettext = window.gettext || ((s) => s);
  const body = dialog.querySelector("[data-list]");
  const title = dialog.querySelector("[data-title]");
  const tile = dialog.querySelector(".vtile");
  let player = null;

  function distance(m) {
    return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
  }

  function note(text) {
    body.textContent = "";
    const li = document.createElement("li");
    li.className = "muted small";
    li.textContent = text;
    body.appendChild(li);
  }

  async function open(eventId, label) {
    title.textContent = label;
    tile.hidden = true;
    if (player) player.stop();
    note(gettext("Looking for cameras…"));
    if (!dialog.open) dialog.showModal();
    try {
      const event = await (await fetch(`/api/events/${eventId}/`, {credentials: "same-origin"})).json();
      const params = new URLSearchParams({lat: event.lat, lng: event.lng, n: "10", purpose: "alarm"});
      const response = await fetch(`/api/cameras/nearest/?${params}`, {credentials: "same-origin"});
      if (!response.ok) throw new Error(String(response.status));
      const cameras = await response.json();
      body.textContent = "";
      if (!cameras.length) {
        note(gettext("No online camera you may watch near this event."));
        return;
      }
      for (const camera of cameras) {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "camera-play";
        const name = document.createElement("span");
        name.className = "camera-name";
        name.textContent = camera.name;
        const meta = document.createElement("span");
        meta.className = "muted small";
        meta.textContent = distance(camera.distance_m);
        button.append(name, meta);
        if (camera.playable === false) {
          button.disabled = true;
          meta.textContent += ` · ${camera.codec === "h265" ? gettext("H.265, needs transcoding") : gettext("no video stream")}`;
        }
        button.addEventListener("click", async () => {
          let reason = "";
          if (camera.household) {
            const answer = await VideoPlayer.askPurpose({household: true, name: camera.name, preset: "alarm", event: eventId});
            if (!answer) return;
            reason = answer.reason;
          }
          for (const b of body.querySelectorAll(".camera-play")) b.removeAttribute("aria-current");
          button.setAttribute("aria-current", "true");
          tile.hidden = false;
          if (!player) player = new VideoPlayer(tile, {});
          player.play(camera.id, {purpose: "alarm", event: eventId, reason: reason});
        });
        li.appendChild(button);
        body.appendChild(li);
      }
    } catch (e) {
      note(gettext("Cameras could not be loaded."));
    }
  }

  dialog.addEventListener("close", () => { if (player) player.stop(); });
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());

  function decorate(li) {
    if (!li.dataset || !li.dataset.eventId || li.querySelector(".alarm-video")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "alarm-video";
    button.textContent = gettext("Video");
    button.title = gettext("Cameras nearby");
    const category = li.querySelector(".alarm-category");
    button.addEventListener("click", () => open(Number(li.dataset.eventId), category ? category.textContent : ""));
    li.appendChild(button);
  }

  new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.addedNodes) if (node.nodeType === 1) decorate(node);
  }).observe(list, {childList: true});
  for (const li of list.children) decorate(li);
})();
