/* A map to pick a place with (Leaflet): the user's area and, in a community, its grids as outlines
   (landmarks when there are no tiles); the pin is placed by GPS or a tap, and dragged. The chosen
   point goes into the form's hidden id_lat / id_lng. Used by the event report (report.js) and the
   dispute intake (disputes.js); each says what to show of a point (`describe`).

   window.wjLocationPicker(mapEl, { status, outlines, mapOptions, describe }) →
   { map, place(latlng, how), locate(), pin() }; `how` is "gps", "tap", "moved" or "kept". */
(function () {
  "use strict";
  const gettext = (text) => (window.gettext ? window.gettext(text) : text);
  const STYLE = {
    center: { color: "#333", weight: 2, fill: false, dashArray: "5 4" },
    grid: { color: "#2f6db5", weight: 1, fillColor: "#9cc3ee", fillOpacity: 0.15 },
  };

  window.wjLocationPicker = function (mapEl, options) {
    const status = options.status;
    const map = L.map(mapEl, Object.assign({ zoomSnap: 0.5 }, options.mapOptions || {}));
    map.attributionControl.setPrefix(false);
    if (mapEl.dataset.tileUrl) {
      L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    } else {
      mapEl.classList.add("map-plain");
    }
    const outlines = options.outlines || [];
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
      document.getElementById("id_lat").value = latlng.lat.toFixed(6);
      document.getElementById("id_lng").value = latlng.lng.toFixed(6);
      const where = latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5);
      if (options.describe) options.describe(latlng, how, where);
      else status.textContent = (how === "gps" ? gettext("Your position") : gettext("Pin")) + ": " + where;
    }

    function place(latlng, how) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, autoPan: true, title: gettext("Drag to move") }).addTo(map);
        marker.on("dragend", () => setPoint(marker.getLatLng(), "moved"));
      } else {
        marker.setLatLng(latlng);
      }
      if (how !== "gps" && accuracy) { accuracy.remove(); accuracy = null; }
      setPoint(marker.getLatLng(), how);
    }

    map.on("click", (e) => place(e.latlng, "tap"));

    function locate() {
      if (!navigator.geolocation) {
        status.textContent = gettext("This browser cannot tell its location: tap the map to place the pin.");
        return;
      }
      status.textContent = gettext("Finding your location…");
      navigator.geolocation.getCurrentPosition((position) => {
        const latlng = L.latLng(position.coords.latitude, position.coords.longitude);
        if (accuracy) accuracy.remove();
        if (position.coords.accuracy) {
          accuracy = L.circle(latlng, { radius: position.coords.accuracy, weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
        }
        map.setView(latlng, 17);
        place(latlng, "gps");
      }, () => {
        if (!marker) status.textContent = gettext("Location is not available: tap the map to place the pin.");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }

    return { map, place, locate, pin: () => (marker ? marker.getLatLng() : null) };
  };
})();
