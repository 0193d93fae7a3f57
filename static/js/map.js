/* The map page: the user's centers and grids drawn from the API, with or without a tile server. */
(function () {
  "use strict";
  const el = document.getElementById("map");
  const status = document.getElementById("map-status");
  const map = L.map(el, { preferCanvas: true, zoomSnap: 0.5, attributionControl: true });
  map.attributionControl.setPrefix(false);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("map-plain");
  }

  const KIND_STYLE = {
    comprehensive: { color: "#2f6db5", weight: 1, fillColor: "#9cc3ee", fillOpacity: 0.25 },
    dedicated: { color: "#b45f06", weight: 1, fillColor: "#f6b26b", fillOpacity: 0.45 },
  };

  async function fetchAll(url) {
    const features = [];
    while (url) {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.status + " " + url);
      const page = await response.json();
      features.push(...page.features);
      url = page.next;
    }
    return { type: "FeatureCollection", features };
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  const gridLayers = new Map();
  let highlighted = null;

  function highlight(layer) {
    if (highlighted) highlighted.setStyle(KIND_STYLE[highlighted.feature.properties.kind]);
    highlighted = layer;
    layer.setStyle({ weight: 3, color: "#c00", fillOpacity: 0.5 });
    map.fitBounds(layer.getBounds(), { maxZoom: 16 });
    layer.openPopup();
  }

  function gridPopup(p) {
    const kind = p.subtype_display ? p.kind_display + " · " + p.subtype_display : p.kind_display;
    return "<strong>" + escapeHtml(p.name) + "</strong><br>" + escapeHtml(kind) + "<br>" +
      '<span class="mono">' + escapeHtml(p.code) + "</span><br>" + escapeHtml(p.center.name);
  }

  async function load() {
    const [centers, grids] = await Promise.all([
      fetchAll("/api/centers/geojson/?page_size=1000"),
      fetchAll("/api/grids/?page_size=1000"),
    ]);
    // A community's few grids get their names on the map; a whole district's would be clutter.
    const labelled = grids.features.length <= 40;
    const gridLayer = L.geoJSON(grids, {
      style: (f) => KIND_STYLE[f.properties.kind],
      onEachFeature: (f, layer) => {
        layer.bindPopup(gridPopup(f.properties));
        if (labelled) layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "grid-label" });
        gridLayers.set(f.properties.code, layer);
      },
    });
    const byLevel = {};
    for (const f of centers.features) (byLevel[f.properties.level] ||= []).push(f);
    const overlays = {};
    const outline = { town: { color: "#333", weight: 2.5 }, community: { color: "#555", weight: 1.2, dashArray: "4 3" } };
    overlays[gettext("Grids")] = gridLayer.addTo(map);
    for (const level of ["community", "town"]) {
      if (!byLevel[level]) continue;
      const layer = L.geoJSON({ type: "FeatureCollection", features: byLevel[level] }, {
        style: () => Object.assign({ fill: false, interactive: false }, outline[level]),
      }).addTo(map);
      overlays[level === "town" ? gettext("Towns and streets") : gettext("Communities and villages")] = layer;
    }
    const all = L.geoJSON(centers);
    if (all.getLayers().length) map.fitBounds(all.getBounds());
    else if (gridLayer.getLayers().length) map.fitBounds(gridLayer.getBounds());
    else map.setView([30.695, 103.834], 11);
    L.control.layers(null, overlays, { collapsed: window.innerWidth < 600 }).addTo(map);

    const list = document.getElementById("grid-names");
    for (const f of grids.features) {
      const option = document.createElement("option");
      option.value = f.properties.code;
      option.label = f.properties.name;
      list.appendChild(option);
    }
    status.textContent = interpolate(gettext("%s grids"), [grids.features.length]);
  }

  document.getElementById("grid-search").addEventListener("change", (event) => {
    const query = event.target.value.trim();
    if (!query) return;
    let layer = gridLayers.get(query);
    if (!layer) {
      for (const candidate of gridLayers.values()) {
        if (candidate.feature.properties.name.includes(query)) { layer = candidate; break; }
      }
    }
    if (layer) highlight(layer);
    else status.textContent = gettext("No grid matches.");
  });

  let here = null;
  document.getElementById("locate-me").addEventListener("click", () => {
    if (!navigator.geolocation) { status.textContent = gettext("This browser cannot tell its location."); return; }
    status.textContent = gettext("Finding your location…");
    navigator.geolocation.getCurrentPosition(async (pos) => {
      const { latitude: lat, longitude: lng } = pos.coords;
      if (here) here.remove();
      here = L.circleMarker([lat, lng], { radius: 7, color: "#fff", weight: 2, fillColor: "#d00", fillOpacity: 1 }).addTo(map);
      const response = await fetch(`/api/grids/locate/?lat=${lat}&lng=${lng}`, { credentials: "same-origin" });
      const body = await response.json();
      if (response.ok) {
        status.textContent = body.properties.name;
        const layer = gridLayers.get(body.properties.code);
        if (layer) highlight(layer);
      } else {
        status.textContent = body.detail || gettext("Could not find the grid.");
        map.setView([lat, lng], 15);
      }
    }, () => { status.textContent = gettext("Location is not available: allow it in the browser."); },
    { enableHighAccuracy: true, timeout: 15000 });
  });

  load().catch((error) => { status.textContent = gettext("Could not load the map data.") + " " + error.message; });
})();
