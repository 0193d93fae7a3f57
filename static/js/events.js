/* The queue and event pages: confirmations, the dispatch form's two targets, the small map,
   filters folded on phones. The pages work without it; this only makes them easier. */
(function () {
  "use strict";

  // Destructive actions ask first; any action form sends once.
  document.querySelectorAll("form[method=post]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    });
  });
  // A message about an event while the queue is open (static/js/inbox.js): offer to refresh it.
  document.addEventListener("inbox:message", (event) => {
    const stale = document.getElementById("list-stale");
    if (stale && event.detail && event.detail.event_id) stale.hidden = false;
  });
  // Back from the browser cache: the buttons work again.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-sent]").forEach((form) => {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = false; });
    });
  });

  // Dispatch: to departments or to a grid worker; the hidden part is not sent.
  document.querySelectorAll("form").forEach((form) => {
    const radios = form.querySelectorAll("input[data-dispatch-to]");
    if (!radios.length) return;
    const update = () => {
      const chosen = form.querySelector("input[data-dispatch-to]:checked").value;
      form.querySelectorAll("[data-dispatch-panel]").forEach((panel) => {
        const on = panel.dataset.dispatchPanel === chosen;
        panel.hidden = !on;
        panel.disabled = !on;
        const select = panel.querySelector("select");
        if (select) select.required = on;
      });
    };
    radios.forEach((r) => r.addEventListener("change", update));
    update();
  });

  // Filters fold away on phones.
  if (window.matchMedia("(max-width: 700px)").matches) {
    document.querySelectorAll("details[data-phone-closed]").forEach((d) => { d.open = false; });
  }

  // The event's point on a small map.
  const el = document.getElementById("event-map");
  if (el && window.L) {
    const point = [Number(el.dataset.lat), Number(el.dataset.lng)];
    const map = L.map(el, { zoomSnap: 0.5, scrollWheelZoom: false }).setView(point, 16);
    map.attributionControl.setPrefix(false);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    } else {
      el.classList.add("map-plain");
    }
    const grid = JSON.parse((document.getElementById("event-grid") || {}).textContent || "null");
    if (grid) {
      L.geoJSON(grid, { style: { color: "#2f6db5", weight: 1.5, fillColor: "#9cc3ee", fillOpacity: 0.2 }, interactive: false }).addTo(map);
    }
    L.marker(point).addTo(map);
  }
})();
