/* The camera page: the registry on a map (GeoJSON from /api/cameras/, the visible area only), and the
   list's "Watch" buttons playing a camera inline after asking why (the purpose is recorded with the
   viewing; a household camera needs its consent for that purpose). */
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const interpolate = window.interpolate || ((text, values) => text.replace(/%\((\w+)\)s/g, (_, k) => values[k]));
  const COLORS = {online: "#1e8e3e", stalled: "#f29900", offline: "#9aa0a6", unknown: "#5f6368"};

  // --- the map --------------------------------------------------------------------------------------
  const node = document.getElementById("camera-map");
  if (node && window.L) {
    const map = L.map(node, {preferCanvas: true}).setView([30.695, 103.834], 12);
    if (node.dataset.tileUrl) {
      L.tileLayer(node.dataset.tileUrl, {attribution: node.dataset.tileAttribution || "", maxZoom: 19}).addTo(map);
    } else {
      node.classList.add("map-plain");
    }
    const area = JSON.parse((document.getElementById("camera-area") || {}).textContent || "[]");
    for (const outline of area) {
      L.geoJSON(outline.geometry, {interactive: false, style: {color: "#1d4f91", weight: outline.kind === "center" ? 2 : 1, fill: false}}).addTo(map);
    }
    if (node.dataset.bounds) {
      const [minx, miny, maxx, maxy] = node.dataset.bounds.split(",").map(Number);
      map.fitBounds([[miny, minx], [maxy, maxx]]);
    }
    const layer = L.layerGroup().addTo(map);
    let pending = null;
    const load = async () => {
      const b = map.getBounds();
      const params = new URLSearchParams({
        bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(","),
        page_size: "2000",
      });
      if (node.dataset.network) params.set("network", node.dataset.network);
      if (node.dataset.status) params.set("status", node.dataset.status);
      const query = params.toString();
      pending = query;
      try {
        const response = await fetch(`/api/cameras/?${query}`, {credentials: "same-origin", headers: {Accept: "application/json"}});
        if (!response.ok || pending !== query) return;
        const data = await response.json();
        layer.clearLayers();
        const note = document.getElementById("camera-map-note");
        if (note) {
          const shown = (data.features || []).length;
          note.textContent = shown < data.count
            ? interpolate(gettext("Map: %(shown)s of %(count)s cameras here; zoom in for the rest."), {shown: shown, count: data.count}, true)
            : interpolate(gettext("Map: %(count)s cameras here."), {count: data.count}, true);
        }
        for (const f of data.features || []) {
          const [lng, lat] = f.geometry.coordinates;
          const p = f.properties;
          L.circleMarker([lat, lng], {radius: 4, weight: 1, color: "#fff", fillColor: COLORS[p.status] || "#5f6368", fillOpacity: 0.9})
            .bindTooltip(`${p.name} · ${p.status_display || p.status}`)
            .addTo(layer);
        }
      } catch (e) { /* the list below still works */ }
    };
    map.on("moveend", load);
    load();
  }

  // --- playing from the list ------------------------------------------------------------------------
  const tile = document.getElementById("inline-player");
  if (!tile || !window.VideoPlayer) return;
  let player = null;
  for (const button of document.querySelectorAll("[data-play]")) {
    button.addEventListener("click", async () => {
      const answer = await VideoPlayer.askPurpose({
        household: button.dataset.household === "1", name: button.dataset.name, preset: "patrol",
      });
      if (!answer) return;
      tile.hidden = false;
      if (!player) player = new VideoPlayer(tile, {});
      player.play(button.dataset.play, {purpose: answer.purpose, reason: answer.reason, event: null});
      tile.scrollIntoView({block: "nearest"});
    });
  }
})();
