/* The center's patrols monitor (templates/patrols/monitor.html): the patrols under way on a map,
   from the snapshot GET /api/patrols/live/?center=, then live over the dashboard's socket
   (/ws/dashboard/?center=), whose `patrol` messages come on the area's patrols stream. A reconnect
   reloads the snapshot, so nothing is missed. */
(function () {
  "use strict";
  const gettext = (text) => (window.gettext ? window.gettext(text) : text);
  const root = document.getElementById("patrol-monitor");
  if (!root) return;
  const mapEl = document.getElementById("monitor-map");
  const map = L.map(mapEl, { zoomSnap: 0.5 });
  map.attributionControl.setPrefix(false);
  if (mapEl.dataset.tileUrl) L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  else mapEl.classList.add("map-plain");
  const b = (mapEl.dataset.bounds || "").split(",").map(Number);
  if (b.length === 4 && b.every(Number.isFinite)) map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  else map.setView([Number(mapEl.dataset.defaultLat), Number(mapEl.dataset.defaultLng)], 12);
  for (const outline of JSON.parse(document.getElementById("monitor-outlines").textContent || "[]")) {
    L.geoJSON(outline.geometry, { style: { color: "#2f6db5", weight: 1, fillOpacity: 0.05 }, interactive: false }).addTo(map);
  }

  const status = document.getElementById("live-status");
  const active = document.getElementById("figure-active");
  const patrols = window.wjPatrolLayer(map, { onChange: () => { active.textContent = String(patrols.count()); } });
  root.wjPatrols = patrols;  // for tests

  async function snapshot() {
    try {
      const response = await fetch(root.dataset.live, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) patrols.load((await response.json()).patrols);
    } catch (error) { /* the next reconnect tries again */ }
  }

  let attempts = 0;
  function connect() {
    const protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const port = document.body.dataset.wsPort;
    const host = port ? location.hostname + ":" + port : location.host;
    const ws = new WebSocket(protocol + "//" + host + root.dataset.wsPath);
    ws.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.type === "hello") { attempts = 0; status.textContent = gettext("Live"); root.dataset.live_ready = "1"; snapshot(); }
      else if (message.type === "patrol") patrols.apply(message.data);
      else if (message.type === "resync") snapshot();
      else if (message.type === "ping") ws.send(JSON.stringify({ type: "pong" }));
    };
    ws.onclose = () => {
      status.textContent = gettext("Reconnecting…");
      attempts += 1;
      setTimeout(connect, Math.min(30000, 1000 * 2 ** attempts));
    };
  }
  snapshot();
  connect();
})();
