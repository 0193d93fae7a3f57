/* The live patrols layer of a Leaflet map: a dot per patrol under way, where its phone last was, with
   who and since when; an ended or cancelled patrol leaves the map. Fed by a snapshot (a list of
   items) and by `patrol` pushes (the same item), applied as upserts whatever their number: a
   patrol's latest position wins (`last_at`), so order and repeats do not matter.
   Used by the patrols monitor (patrol-monitor.js) and the dashboard (dashboard.js).

   window.wjPatrolLayer(map) → { load(items), apply(item), count() } */
(function () {
  "use strict";
  const gettext = (text) => (window.gettext ? window.gettext(text) : text);

  window.wjPatrolLayer = function (map, options) {
    const layer = L.layerGroup().addTo(map);
    const markers = new Map();
    const seen = new Map();
    const onChange = (options && options.onChange) || (() => {});

    function label(item) {
      const since = item.started_at ? new Date(item.started_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
      return item.user + (item.plan ? " · " + item.plan : "") + " · " + gettext("since") + " " + since +
        " · " + item.distance_m + " m · " + item.check_in_count + " " + gettext("check-ins");
    }

    function apply(item) {
      if (!item || typeof item.id !== "number") return;
      const stamp = item.ended_at || item.last_at || item.started_at || "";
      const before = seen.get(item.id);
      if (before && before > stamp) return;  // an older push than what is shown
      seen.set(item.id, stamp);
      const marker = markers.get(item.id);
      if (item.state !== "active" || item.lat === null || item.lng === null) {
        if (marker && item.state !== "active") { layer.removeLayer(marker); markers.delete(item.id); }
        onChange();
        return;
      }
      if (marker) {
        marker.setLatLng([item.lat, item.lng]);
        marker.setTooltipContent(label(item));
      } else {
        const dot = L.circleMarker([item.lat, item.lng], {
          radius: 7, color: "#fff", weight: 2, fillColor: item.role === "volunteer" ? "#d35400" : "#2f6db5", fillOpacity: 1,
        }).bindTooltip(label(item));
        dot.on("click", () => { window.location.href = item.url; });
        dot.addTo(layer);
        markers.set(item.id, dot);
      }
      markers.get(item.id)._patrol = item;
      onChange();
    }

    function load(items) {
      layer.clearLayers();
      markers.clear();
      seen.clear();
      for (const item of items || []) apply(item);
      onChange();
    }

    return { load, apply, count: () => markers.size, markers };
  };
})();
