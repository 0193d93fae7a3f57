/* The patroller's phone page (templates/patrols/phone.html).

   Start: POST /api/patrols/ with a client_id, then the page reloads on the patrol under way.
   Under way: navigator.geolocation.watchPosition records a point every 10 s (or every 10 m moved);
   each point gets the next number (seq) and goes into this phone's outbox in localStorage FIRST,
   then the outbox is sent (POST /api/patrols/<id>/track/) and a point leaves it only once the
   server acknowledged its seq. A lost signal or a closed page loses nothing recorded: the outbox is
   sent again every few seconds and when the page opens again; a repeat is ignored by the server.
   Check-in: a tap on a place of the route (with the position) or its door code; reports in two taps
   with the nearest place filled in; end (after the outbox is empty). */
(function () {
  "use strict";
  const gettext = (text) => (window.gettext ? window.gettext(text) : text);
  const page = document.getElementById("patrol-page");
  if (!page) return;
  const data = JSON.parse(document.getElementById("patrol-data").textContent);
  const API = page.dataset.api;
  const RECORD_EVERY_MS = 10000;
  const RECORD_METRES = 10;
  const SEND_EVERY_MS = 5000;
  const BATCH = 100;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    });
    let json = null;
    try { json = await response.json(); } catch (error) { json = null; }
    return { ok: response.ok, status: response.status, json };
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  }

  function message(json, fallback) {
    if (!json) return fallback;
    if (typeof json.detail === "string") return json.detail;
    const parts = [];
    for (const value of Object.values(json)) parts.push(Array.isArray(value) ? value.join(" ") : String(value));
    return parts.join(" ") || fallback;
  }

  function show(id, text) {
    const el = document.getElementById(id);
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  }

  // --- not under way: start ---------------------------------------------------------------------
  if (!data.active) {
    for (const button of document.querySelectorAll("[data-start]")) {
      button.addEventListener("click", async () => {
        button.disabled = true;
        const body = { client_id: uuid() };
        if (button.dataset.start) body.plan = Number(button.dataset.start);
        const result = await post(API, body).catch(() => null);
        if (result && (result.ok || result.status === 409)) { location.reload(); return; }
        button.disabled = false;
        show("start-error", result ? message(result.json, gettext("The patrol could not be started.")) : gettext("No network: try again."));
      });
    }
    return;
  }

  // --- under way ----------------------------------------------------------------------------------
  const patrolId = data.active.id;
  const route = (data.active.plan && data.routes[data.active.plan]) || [];
  const checked = new Set(data.checked);
  const storeKey = "wj-patrol-outbox-" + data.user;
  let outbox = load();
  let here = null;
  let lastRecorded = null;
  let sending = false;

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (saved && saved.patrol === patrolId) return saved;
    } catch (error) { /* a broken entry starts afresh */ }
    return { patrol: patrolId, next: 0, points: [] };
  }

  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(outbox)); } catch (error) { /* full: keep in memory */ }
    document.getElementById("pending-count").textContent = String(outbox.points.length);
  }

  function metres(a, b) {
    const r = 6371008.8, rad = Math.PI / 180;
    const dp = (b.lat - a.lat) * rad, dl = (b.lng - a.lng) * rad;
    const h = Math.sin(dp / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dl / 2) ** 2;
    return 2 * r * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  // The map: the area's outlines, the route's places (checked in: green), the track, the position.
  const mapEl = document.getElementById("patrol-map");
  const map = L.map(mapEl, { zoomSnap: 0.5 });
  map.attributionControl.setPrefix(false);
  if (mapEl.dataset.tileUrl) L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  else mapEl.classList.add("map-plain");
  // The view first: Leaflet draws a vector layer only on a map that has one.
  if (route.length) map.fitBounds(L.latLngBounds(route.map((p) => [p.lat, p.lng])).pad(0.3));
  else {
    const b = (mapEl.dataset.bounds || "").split(",").map(Number);
    if (b.length === 4 && b.every(Number.isFinite)) map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
    else map.setView([Number(mapEl.dataset.defaultLat), Number(mapEl.dataset.defaultLng)], 14);
  }
  for (const outline of JSON.parse(document.getElementById("patrol-outlines").textContent || "[]")) {
    L.geoJSON(outline.geometry, { style: { color: "#2f6db5", weight: 1, fillOpacity: 0.05 }, interactive: false }).addTo(map);
  }
  const markers = new Map();
  for (const place of route) {
    const marker = L.circleMarker([place.lat, place.lng], { radius: 7, weight: 2 }).addTo(map).bindTooltip(place.name);
    markers.set(place.id, marker);
  }
  const track = L.polyline([], { color: "#c0392b", weight: 3 }).addTo(map);
  let me = null;

  function paint() {
    for (const [id, marker] of markers) {
      const done = checked.has(id);
      marker.setStyle({ color: done ? "#1e7e34" : "#2f6db5", fillColor: done ? "#28a745" : "#9cc3ee", fillOpacity: 0.9 });
    }
    document.getElementById("checked-count").textContent = checked.size + (route.length ? " / " + route.length : "");
    const list = document.getElementById("route-list");
    list.textContent = "";
    const ordered = route.slice();
    if (here) ordered.sort((a, b) => metres(here, a) - metres(here, b));
    for (const place of ordered) {
      const li = document.createElement("li");
      li.className = "route-item" + (checked.has(place.id) ? " checked" : "");
      const label = document.createElement("span");
      label.textContent = place.name + (here ? " · " + Math.round(metres(here, place)) + " m" : "");
      li.appendChild(label);
      if (checked.has(place.id)) {
        const done = document.createElement("span");
        done.className = "small";
        done.textContent = "✓ " + gettext("Checked in");
        li.appendChild(done);
      } else {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button small-button";
        button.textContent = gettext("Check in");
        button.dataset.checkIn = String(place.id);
        button.addEventListener("click", () => checkIn({ place: place.id }));
        li.appendChild(button);
      }
      list.appendChild(li);
    }
    fillPlaces("report-place");
    fillPlaces("dispute-place");
  }

  function nearest() {
    if (!here || !route.length) return null;
    return route.reduce((best, p) => (metres(here, p) < metres(here, best) ? p : best), route[0]);
  }

  function fillPlaces(id) {
    const select = document.getElementById(id);
    if (!select) return;
    // The nearest place follows the patroller until they choose one themselves.
    if (!select.dataset.wired) {
      select.dataset.wired = "1";
      select.addEventListener("change", () => { select.dataset.touched = "1"; });
    }
    const chosen = select.dataset.touched ? select.value : "";
    select.textContent = "";
    const mine = document.createElement("option");
    mine.value = "";
    mine.textContent = gettext("My position");
    select.appendChild(mine);
    for (const place of route) {
      const option = document.createElement("option");
      option.value = String(place.id);
      option.textContent = place.name;
      select.appendChild(option);
    }
    const near = nearest();
    select.value = chosen || (near && metres(here, near) < 150 ? String(near.id) : "");
  }

  // --- the track ----------------------------------------------------------------------------------
  function record(position) {
    const point = {
      lat: position.coords.latitude,
      lng: position.coords.longitude,
      accuracy: position.coords.accuracy,
    };
    here = point;
    if (!me) me = L.circleMarker([point.lat, point.lng], { radius: 6, color: "#fff", weight: 2, fillColor: "#c0392b", fillOpacity: 1 }).addTo(map);
    else me.setLatLng([point.lat, point.lng]);
    show("gps-status", gettext("Your position") + ": " + point.lat.toFixed(5) + ", " + point.lng.toFixed(5));
    const now = Date.now();
    const moved = lastRecorded ? metres(lastRecorded, point) : Infinity;
    if (!lastRecorded || moved >= RECORD_METRES || now - lastRecorded.time >= RECORD_EVERY_MS) {
      lastRecorded = Object.assign({ time: now }, point);
      outbox.points.push({ seq: outbox.next, at: new Date(now).toISOString(), lat: point.lat, lng: point.lng, accuracy: point.accuracy });
      outbox.next += 1;
      save();
      track.addLatLng([point.lat, point.lng]);
      send();
    }
    paint();
  }

  async function send() {
    if (sending || !outbox.points.length) return;
    sending = true;
    try {
      while (outbox.points.length) {
        const batch = outbox.points.slice(0, BATCH);
        const result = await post(API + patrolId + "/track/", { points: batch });
        if (!result.ok) {
          if (result.status === 409 || result.status === 404) { outbox.points = []; save(); }  // the patrol is over
          break;
        }
        const acked = new Set(result.json.acked);
        outbox.points = outbox.points.filter((p) => !acked.has(p.seq));
        save();
      }
    } catch (error) {
      /* offline: kept, sent again soon */
    } finally {
      sending = false;
    }
  }

  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(record, (error) => show("gps-status", gettext("No position yet: ") + error.message), {
      enableHighAccuracy: true,
      maximumAge: 5000,
      timeout: 30000,
    });
  } else {
    show("gps-status", gettext("This browser cannot tell your position."));
  }
  setInterval(send, SEND_EVERY_MS);
  window.addEventListener("online", send);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) send(); });

  // --- check-ins ----------------------------------------------------------------------------------
  async function checkIn(body) {
    show("check-in-error", "");
    if (here) { body.lat = here.lat; body.lng = here.lng; }
    const result = await post(API + patrolId + "/check-ins/", body).catch(() => null);
    if (!result) { show("check-in-error", gettext("No network: try again.")); return; }
    if (!result.ok) { show("check-in-error", message(result.json, gettext("Could not check in."))); return; }
    checked.add(result.json.place);
    paint();
  }

  document.getElementById("qr-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const raw = document.getElementById("qr-token").value.trim();
    const match = raw.match(/\/patrols\/qr\/([^/?#]+)/);
    const token = match ? match[1] : raw;
    if (token) checkIn({ qr_token: token }).then(() => { document.getElementById("qr-token").value = ""; });
  });

  // --- reports ------------------------------------------------------------------------------------
  function openForm(id) {
    for (const other of ["report-form", "dispute-form"]) {
      const form = document.getElementById(other);
      if (form) form.hidden = other !== id || !form.hidden;
    }
    fillPlaces("report-place");
    fillPlaces("dispute-place");
  }
  document.getElementById("report-open").addEventListener("click", () => openForm("report-form"));
  const disputeOpen = document.getElementById("dispute-open");
  if (disputeOpen) disputeOpen.addEventListener("click", () => openForm("dispute-form"));

  async function report(body, form) {
    show("report-error", "");
    show("report-done", "");
    if (!body.place && here) { body.lat = here.lat; body.lng = here.lng; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const result = await post(API + patrolId + "/reports/", body).catch(() => null);
    button.disabled = false;
    if (!result) { show("report-error", gettext("No network: try again.")); return; }
    if (!result.ok) { show("report-error", message(result.json, gettext("The report could not be sent."))); return; }
    form.reset();
    for (const select of form.querySelectorAll("select")) delete select.dataset.touched;
    form.hidden = true;
    form.dataset.clientId = "";
    show("report-done", gettext("Report received") + ": " + result.json.number);
  }

  document.getElementById("report-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    form.dataset.clientId = form.dataset.clientId || uuid();  // a retry is the same report
    const place = document.getElementById("report-place").value;
    report({
      kind: "event",
      client_id: form.dataset.clientId,
      place: place ? Number(place) : null,
      category: Number(document.getElementById("report-category").value) || null,
      description: document.getElementById("report-description").value,
    }, form);
  });
  const disputeForm = document.getElementById("dispute-form");
  if (disputeForm) {
    disputeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      disputeForm.dataset.clientId = disputeForm.dataset.clientId || uuid();
      const place = document.getElementById("dispute-place").value;
      report({
        kind: "dispute",
        client_id: disputeForm.dataset.clientId,
        place: place ? Number(place) : null,
        type: Number(document.getElementById("dispute-type").value),
        title: document.getElementById("dispute-title").value,
        facts: document.getElementById("dispute-facts").value,
        parties: [
          { role: "applicant", name: document.getElementById("dispute-applicant").value },
          { role: "respondent", name: document.getElementById("dispute-respondent").value },
        ],
      }, disputeForm);
    });
  }

  // --- end ----------------------------------------------------------------------------------------
  async function finish(action, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return;
    await send();
    if (outbox.points.length) { show("end-error", gettext("Some points are still waiting to be sent: try again when the network is back.")); return; }
    const result = await post(API + patrolId + "/" + action + "/").catch(() => null);
    if (!result) { show("end-error", gettext("No network: try again.")); return; }
    if (!result.ok && result.status !== 409) { show("end-error", message(result.json, gettext("Could not end the patrol."))); return; }
    try { localStorage.removeItem(storeKey); } catch (error) { /* nothing to remove */ }
    location.reload();
  }
  document.getElementById("patrol-end").addEventListener("click", () => finish("end"));
  document.getElementById("patrol-cancel").addEventListener("click", () => finish("cancel", gettext("Cancel this patrol? It will not count.")));

  save();
  paint();
  send();
})();
