/* The dispute pages: rows of parties and of obligations added and removed, and the intake form's
   map (GPS, or a tap; the pin can be dragged). The forms post without it; this only makes them
   quicker. No inline script: the page's data comes in data- attributes and json_script blocks. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const t = (text) => (window.gettext ? window.gettext(text) : text);

  // --- rows made from a <template>: "__i__" becomes a fresh index --------------------------------
  function rows(containerId, templateId, addId, rowSelector, removeSelector, renumber) {
    const container = $(containerId);
    const template = $(templateId);
    if (!container || !template) return;
    let next = container.querySelectorAll(rowSelector).length;
    const refresh = () => {
      const all = container.querySelectorAll(rowSelector);
      all.forEach((row, n) => {
        if (renumber) renumber(row, n);
        const remove = row.querySelector(removeSelector);
        if (remove) remove.hidden = all.length <= (container.dataset.min ? Number(container.dataset.min) : 0);
      });
    };
    const add = () => {
      const html = template.innerHTML.replace(/__i__/g, String(next++));
      container.insertAdjacentHTML("beforeend", html);
      const row = container.lastElementChild;
      wire(row);
      refresh();
      const first = row.querySelector("input[type=text], textarea, input");
      if (first) first.focus();
    };
    const wire = (row) => {
      const remove = row.querySelector(removeSelector);
      if (remove) remove.addEventListener("click", () => { row.remove(); refresh(); });
      const role = row.querySelector("[data-party-role]");
      const agent = row.querySelector("[data-party-agent]");
      if (role && agent) {
        const update = () => { agent.hidden = role.value !== "agent"; };
        role.addEventListener("change", update);
        update();
      }
    };
    container.querySelectorAll(rowSelector).forEach(wire);
    const button = $(addId);
    if (button) button.addEventListener("click", add);
    refresh();
  }

  rows("party-rows", "party-template", "party-add", "[data-party-row]", "[data-party-remove]", (row, n) => {
    const label = row.querySelector("[data-party-number]");
    if (label) label.textContent = String(n + 1);
  });
  rows("obligation-rows", "obligation-template", "obligation-add", "[data-obligation-row]", "[data-obligation-remove]");

  // --- the intake form's map ---------------------------------------------------------------------
  const mapEl = $("dispute-map");
  if (!mapEl || !window.L) return;
  const status = $("location-status");
  const map = L.map(mapEl, { zoomSnap: 0.5, scrollWheelZoom: false });
  map.attributionControl.setPrefix(false);
  if (mapEl.dataset.tileUrl) {
    L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  } else {
    mapEl.classList.add("map-plain");
  }
  const outlines = JSON.parse(($("dispute-outlines") || {}).textContent || "[]");
  const STYLE = {
    center: { color: "#333", weight: 2, fill: false, dashArray: "5 4" },
    grid: { color: "#2f6db5", weight: 1, fillColor: "#9cc3ee", fillOpacity: 0.15 },
  };
  for (const outline of outlines) {
    const layer = L.geoJSON(outline.geometry, { style: STYLE[outline.kind], interactive: false }).addTo(map);
    if (outline.kind === "grid" && outlines.length <= 40) {
      layer.bindTooltip(outline.name, { permanent: true, direction: "center", className: "grid-label" });
    }
  }
  const bounds = (mapEl.dataset.bounds || "").split(",").map(Number);
  if (bounds.length === 4 && bounds.every(Number.isFinite)) {
    map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
  } else {
    map.setView([Number(mapEl.dataset.defaultLat), Number(mapEl.dataset.defaultLng)], 12);
  }

  let marker = null;
  let accuracy = null;
  function setPoint(latlng, how) {
    $("id_lat").value = latlng.lat.toFixed(6);
    $("id_lng").value = latlng.lng.toFixed(6);
    const prefix = how === "gps" ? t("Your position") : t("Pin");
    status.textContent = prefix + ": " + latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5);
  }
  function place(latlng, how) {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, autoPan: true, title: t("Drag to move") }).addTo(map);
      marker.on("dragend", () => setPoint(marker.getLatLng(), "moved"));
    } else {
      marker.setLatLng(latlng);
    }
    if (how !== "gps" && accuracy) { accuracy.remove(); accuracy = null; }
    setPoint(marker.getLatLng(), how);
  }
  map.on("click", (e) => place(e.latlng, "tap"));

  const lat = parseFloat($("id_lat").value);
  const lng = parseFloat($("id_lng").value);
  if (Number.isFinite(lat) && Number.isFinite(lng)) {  // redrawn after an error, or from an event
    const latlng = L.latLng(lat, lng);
    map.setView(latlng, 16);
    place(latlng, "kept");
  }

  function locate() {
    if (!navigator.geolocation) {
      status.textContent = t("This browser cannot tell its location: tap the map to place the pin.");
      return;
    }
    status.textContent = t("Finding your location…");
    navigator.geolocation.getCurrentPosition((position) => {
      const latlng = L.latLng(position.coords.latitude, position.coords.longitude);
      if (accuracy) accuracy.remove();
      if (position.coords.accuracy) {
        accuracy = L.circle(latlng, { radius: position.coords.accuracy, weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
      }
      map.setView(latlng, 17);
      place(latlng, "gps");
    }, () => {
      if (!marker) status.textContent = t("Location is not available: tap the map to place the pin.");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  $("locate-again").addEventListener("click", locate);
  if (mapEl.dataset.locate === "yes") locate();
})();
