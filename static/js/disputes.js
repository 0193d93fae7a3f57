/* The dispute pages: rows of parties and of obligations added and removed, and the intake form's
   map (GPS, or a tap; the pin can be dragged). The forms post without it; this only makes them
   quicker. No inline script: the page's data comes in data- attributes and json_script blocks. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const gettext = (text) => (window.gettext ? window.gettext(text) : text);

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
  if (!mapEl || !window.L || !window.wjLocationPicker) return;
  const status = $("location-status");
  const picker = window.wjLocationPicker(mapEl, {
    status,
    outlines: JSON.parse(($("dispute-outlines") || {}).textContent || "[]"),
    mapOptions: { scrollWheelZoom: false },
  });
  const map = picker.map;

  const lat = parseFloat($("id_lat").value);
  const lng = parseFloat($("id_lng").value);
  if (Number.isFinite(lat) && Number.isFinite(lng)) {  // redrawn after an error, or from an event
    const latlng = L.latLng(lat, lng);
    map.setView(latlng, 16);
    picker.place(latlng, "kept");
  }

  $("locate-again").addEventListener("click", picker.locate);
  if (mapEl.dataset.locate === "yes") picker.locate();
})();
