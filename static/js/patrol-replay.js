/* A patrol's replay (templates/patrols/replay.html): the whole track drawn, the places checked in,
   and a marker that walks the track in time (Play, or the slider). */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("replay-data").textContent);
  const mapEl = document.getElementById("replay-map");
  const map = L.map(mapEl, { zoomSnap: 0.5 });
  map.attributionControl.setPrefix(false);
  if (mapEl.dataset.tileUrl) L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  else mapEl.classList.add("map-plain");
  const coords = data.track.geometry.coordinates.map(([lng, lat]) => [lat, lng]);
  const times = data.track.properties.times;
  const points = coords.concat(data.check_ins.map((c) => [c.lat, c.lng]));
  if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.2));  // the view first, then the layers
  else map.setView([Number(mapEl.dataset.defaultLat), Number(mapEl.dataset.defaultLng)], 13);
  const line = L.polyline(coords, { color: "#c0392b", weight: 3, opacity: 0.5 }).addTo(map);
  const walked = L.polyline([], { color: "#c0392b", weight: 4 }).addTo(map);
  for (const c of data.check_ins) {
    L.circleMarker([c.lat, c.lng], { radius: 7, color: "#1e7e34", fillColor: "#28a745", fillOpacity: 0.9 })
      .bindTooltip(c.place + " · " + c.at.slice(11, 16)).addTo(map);
  }
  const slider = document.getElementById("replay-slider");
  const label = document.getElementById("replay-time");
  const play = document.getElementById("replay-play");
  slider.max = String(Math.max(0, coords.length - 1));
  const marker = coords.length ? L.circleMarker(coords[0], { radius: 7, color: "#fff", weight: 2, fillColor: "#c0392b", fillOpacity: 1 }).addTo(map) : null;
  let timer = null;

  function show(i) {
    if (!marker) return;
    marker.setLatLng(coords[i]);
    walked.setLatLngs(coords.slice(0, i + 1));
    slider.value = String(i);
    label.textContent = times[i] ? new Date(times[i]).toLocaleTimeString() : "";
  }
  slider.addEventListener("input", () => show(Number(slider.value)));
  play.addEventListener("click", () => {
    if (timer) { clearInterval(timer); timer = null; return; }
    let i = Number(slider.value) >= coords.length - 1 ? 0 : Number(slider.value);
    timer = setInterval(() => {
      show(i);
      i += 1;
      if (i >= coords.length) { clearInterval(timer); timer = null; }
    }, Math.max(30, 8000 / Math.max(1, coords.length)));
  });
  if (coords.length) show(0);
  void line;
})();
