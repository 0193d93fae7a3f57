/* The live dashboard (page and wall): a snapshot over HTTP, then pushes over the WebSocket.

Order (DESIGN.md "Live dashboards"): open the socket, wait for its "hello" (the server has joined the
stream by then), load the snapshot, apply pushes numbered above the snapshot's `seq`; a gap that does
not fill within a second, a reconnect or a "resync" message loads a new snapshot the same way.
Everything it keeps is capped (feed rows, alarms, markers, buffers), so the wall can run for days. */
(function () {
  "use strict";
  let patrolLayer = null;  // the live patrols layer, once the map exists
  const root = document.querySelector("[data-dashboard]");
  if (!root) return;

  const FEED_MAX = 50;
  const ALARMS_MAX = 100;
  const MARKERS_MAX = 5000;
  const REORDER_MAX = 200;
  const PENDING_MAX = 2000;
  const ACKED_MAX = 500;
  const GAP_WAIT_MS = 1000;
  const HELLO_WAIT_MS = 3000;
  const PING_MS = 30000;
  const SILENCE_MS = 75000;
  const BACKOFF_MAX_MS = 15000;
  const ACKED_KEY = "wj.dashboard.acked";
  const ALERTS_KEY = "wj.dashboard.alerts";
  const WALL = document.body.classList.contains("wall");
  const TZ = root.dataset.timeZone || "Asia/Shanghai";
  const LANG = document.documentElement.lang || "zh-hans";
  const FIGURES = ["reported", "open", "overdue", "closed", "closure_rate", "on_time_rate", "escalations"];
  const LIGHT_COLOURS = { green: "#27ae60", yellow: "#f1c40f", red: "#e74c3c" };

  const liveEl = document.getElementById("live-state");
  const feedEl = document.getElementById("feed");
  const alarmsEl = document.getElementById("alarms");
  const toastEl = document.getElementById("dash-toast");

  // ---------------------------------------------------------------------------------------------
  // Small helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  const numberFormat = new Intl.NumberFormat(LANG);
  function formatFigure(key, value) {
    if (value == null) return "—";
    if (key.endsWith("_rate")) return (value * 100).toFixed(1) + "%";
    return numberFormat.format(value);
  }

  const timeFormat = new Intl.DateTimeFormat(LANG, { timeZone: TZ, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" });
  const shortDayFormat = new Intl.DateTimeFormat(LANG, { timeZone: TZ, month: "numeric", day: "numeric" });
  const clockFormat = new Intl.DateTimeFormat(LANG, {
    timeZone: TZ, year: "numeric", month: "long", day: "numeric", weekday: "long",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });

  function today() { return dayFormat.format(new Date()); }

  function when(iso) {
    const date = new Date(iso);
    if (isNaN(date)) return "";
    const time = timeFormat.format(date);
    return dayFormat.format(date) === today() ? time : shortDayFormat.format(date) + " " + time;
  }

  function label(kind, code) {
    return (labels[kind] && labels[kind][code]) || code || "";
  }

  function boundedPush(list, item, max) {
    list.push(item);
    if (list.length > max) list.splice(0, list.length - max);
  }

  // ---------------------------------------------------------------------------------------------
  // State

  let labels = { state: {}, light: {}, action: {}, level: {}, supervision: {} };
  let counts = null;
  let liveState = "connecting";
  let socket = null;
  let syncedSocket = null;    // the socket whose pushes the current snapshot is followed by
  let attempts = 0;
  let reconnectTimer = null;
  let helloTimer = null;
  let lastHeard = 0;
  let lastSeq = null;         // the number of the last event push applied (or the snapshot's)
  let countsSeq = -1;         // the number of the figures shown
  let syncing = false;        // a snapshot is loading: pushes wait in `pending`
  let syncAgain = false;
  let syncTimer = null;
  let syncGeneration = 0;
  let everSynced = false;
  let snapshots = 0;          // how many were loaded (for tests)
  let recentSyncs = [];       // times of the last snapshot loads, to slow down a resync loop
  let pending = [];
  const reorder = new Map();  // seq → message, pushes that came after a gap
  let gapTimer = null;
  let stopped = false;        // the server refused this dashboard: nothing more to do

  function setState(state, text) {
    liveState = state;
    liveEl.dataset.liveState = state;
    const texts = {
      connecting: gettext("Connecting…"),
      live: gettext("Live"),
      reconnecting: gettext("Reconnecting…"),
      error: gettext("Not available"),
    };
    liveEl.querySelector(".live-text").textContent = text || texts[state] || state;
  }

  // ---------------------------------------------------------------------------------------------
  // The WebSocket

  function socketUrl() {
    const protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const port = document.body.dataset.wsPort;
    const host = port ? location.hostname + ":" + port : location.host;
    return protocol + "//" + host + root.dataset.wsPath;
  }

  function connect() {
    if (stopped) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      if (ws !== socket) return;
      lastHeard = Date.now();
      // The server joins the stream, then says hello; without a hello, load the snapshot anyway.
      clearTimeout(helloTimer);
      helloTimer = setTimeout(() => { if (ws === socket) requestSync(0); }, HELLO_WAIT_MS);
    };
    ws.onmessage = (event) => {
      if (ws !== socket) return;
      lastHeard = Date.now();
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message && typeof message === "object") receive(message);
    };
    ws.onclose = (event) => {
      if (ws !== socket) return;
      socket = null;
      syncedSocket = null;
      clearTimeout(helloTimer);
      if (stopped) return;
      setState("reconnecting");
      // 4401: signed out; 4403: no longer allowed. Try again, but slowly.
      if (event.code === 4401 || event.code === 4403) attempts = Math.max(attempts, 4);
      scheduleReconnect();
      if (!everSynced) requestSync(0);  // show the snapshot while the socket is down
    };
  }

  function scheduleReconnect() {
    if (reconnectTimer || stopped) return;
    const delay = Math.min(BACKOFF_MAX_MS, 1000 * Math.pow(2, attempts)) * (0.8 + Math.random() * 0.4);
    attempts += 1;
    reconnectTimer = setTimeout(() => { reconnectTimer = null; connect(); }, delay);
  }

  function reconnectNow() {
    if (stopped || (socket && socket.readyState <= 1)) return;
    attempts = 0;
    connect();
  }

  function send(message) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(message));
  }

  setInterval(() => {
    if (!socket || socket.readyState !== 1) return;
    if (Date.now() - lastHeard > SILENCE_MS) { socket.close(); return; }  // a dead connection: start again
    send({ type: "ping" });
  }, PING_MS);
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) reconnectNow(); });

  // ---------------------------------------------------------------------------------------------
  // Messages

  function receive(message) {
    switch (message.type) {
      case "hello":
        clearTimeout(helloTimer);
        requestSync(0);
        break;
      case "event":
      case "dispute":
      case "care":
      case "camera":
      case "counts":
        if (syncing) {
          if (pending.length >= PENDING_MAX) { pending = []; syncAgain = true; } else pending.push(message);
        } else if (message.type !== "counts") onEvent(message);
        else onCounts(message);
        break;
      case "notification":
        onNotification(message.data || {});
        break;
      case "patrol":  // the area's patrols stream (its own numbers): an upsert, whatever its number
        if (patrolLayer) patrolLayer.apply(message.data);
        break;
      case "resync":
        requestSync(Math.random() * 2000);  // spread the viewers' reloads
        break;
      case "ping":
        send({ type: "pong" });
        break;
      case "error":
        if (message.data && message.data.reason) showToast(message.data.reason);
        break;
      default:
        break;
    }
  }

  function onEvent(message) {
    const seq = message.seq;
    if (typeof seq !== "number") { applyPush(message); return; }  // unnumbered: an upsert is harmless
    if (lastSeq === null) {  // the snapshot could not tell its number: take one that can
      applyPush(message);
      requestSync(0);
      return;
    }
    if (seq <= lastSeq) return;  // in the snapshot already, or applied
    if (seq === lastSeq + 1) {
      applyPush(message);
      lastSeq = seq;
      drainReorder();
      return;
    }
    if (reorder.size >= REORDER_MAX) { requestSync(0); return; }
    reorder.set(seq, message);
    if (!gapTimer) gapTimer = setTimeout(gapExpired, GAP_WAIT_MS);
  }

  function drainReorder() {
    let progressed = false;
    while (reorder.has(lastSeq + 1)) {
      const message = reorder.get(lastSeq + 1);
      reorder.delete(lastSeq + 1);
      applyPush(message);
      lastSeq += 1;
      progressed = true;
    }
    for (const seq of reorder.keys()) if (seq <= lastSeq) reorder.delete(seq);
    if (!reorder.size || progressed) {
      clearTimeout(gapTimer);
      gapTimer = reorder.size ? setTimeout(gapExpired, GAP_WAIT_MS) : null;
    }
  }

  function gapExpired() {
    gapTimer = null;
    if (reorder.size) requestSync(0);  // a push was lost: start again from a snapshot
  }

  function onCounts(message) {
    if (typeof message.seq === "number") {
      if (message.seq < countsSeq) return;
      countsSeq = message.seq;
    }
    applyCounts(message.data);
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots

  function requestSync(delay) {
    if (stopped) return;
    if (syncing) { syncAgain = true; return; }
    // A loop of resyncs (a stream that keeps skipping) slows down to one every 30 s at most.
    const now = Date.now();
    recentSyncs = recentSyncs.filter((t) => now - t < 60000);
    const floor = recentSyncs.length >= 3 ? Math.min(30000, 1000 * Math.pow(2, recentSyncs.length - 2)) : 0;
    const wait = Math.max(delay || 0, recentSyncs.length ? floor - (now - recentSyncs[recentSyncs.length - 1]) : 0);
    clearTimeout(syncTimer);
    syncTimer = wait > 0 ? setTimeout(sync, wait) : null;
    if (wait <= 0) sync();
  }

  async function sync() {
    syncTimer = null;
    if (syncing || stopped) return;
    syncing = true;
    syncAgain = false;
    pending = [];
    reorder.clear();
    clearTimeout(gapTimer);
    gapTimer = null;
    boundedPush(recentSyncs, Date.now(), 10);
    const generation = ++syncGeneration;
    const socketAtStart = socket && socket.readyState === 1 ? socket : null;
    let snapshot = null;
    try {
      const response = await fetch(root.dataset.snapshotUrl, {
        credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
      });
      if (response.status === 401 || response.redirected) { location.reload(); return; }
      if (response.status === 403 || response.status === 404 || response.status === 400) {
        const body = await response.json().catch(() => ({}));
        stop(body.detail || (body.center && body.center[0]) || response.statusText);
        return;
      }
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      snapshot = await response.json();
    } catch (error) {
      syncing = false;
      if (generation !== syncGeneration) return;
      if (!everSynced) setState("reconnecting", gettext("Cannot load the dashboard, retrying…"));
      clearTimeout(syncTimer);
      syncTimer = setTimeout(sync, 3000 + Math.random() * 4000);
      return;
    }
    if (generation !== syncGeneration) { syncing = false; return; }
    applySnapshot(snapshot);
    snapshots += 1;
    everSynced = true;
    lastSeq = typeof snapshot.seq === "number" ? snapshot.seq : null;
    countsSeq = lastSeq === null ? -1 : lastSeq;
    syncing = false;
    const queued = pending;
    pending = [];
    for (const message of queued) receive(message);
    if (socketAtStart && socketAtStart === socket && socket.readyState === 1) {
      syncedSocket = socket;
      attempts = 0;
      setState("live");
    } else if (!socket || socket.readyState !== 1) {
      setState("reconnecting");
    }
    if (syncAgain) requestSync(0);
    else if (socket && socket.readyState === 1 && syncedSocket !== socket) requestSync(0);  // opened meanwhile
  }

  function stop(reason) {
    stopped = true;
    syncing = false;
    setState("error");
    showToast(reason, 0);
    if (socket) socket.close();
  }

  function applySnapshot(snapshot) {
    labels = snapshot.labels || labels;
    versions.clear();
    applyCounts(snapshot.counts);
    // Feed: the snapshot's, newest first.
    feedEl.replaceChildren();
    for (const item of (snapshot.feed || []).slice(0, FEED_MAX)) feedEl.appendChild(feedRow(item, false));
    document.getElementById("feed-empty").hidden = feedEl.children.length > 0;
    if (patrolLayer) patrolLayer.load(snapshot.patrols || []);
    applyPatrolCounts(snapshot.patrol_figures);
    // Map: exactly the open events of the snapshot.
    const open = new Set();
    for (const item of snapshot.open_events || []) { open.add(item.id); upsertMarker(item); }
    for (const id of Array.from(markers.keys())) if (!open.has(id)) removeMarker(id);
    raiseRed();
    updateMapCount();
    // Alarms: exactly the snapshot's; ring once for those not acknowledged yet.
    const fresh = [];
    const current = new Set();
    // Oldest first: each goes on top, so the latest changed ends up first, as the snapshot lists them.
    for (const item of (snapshot.alarms || []).slice(0, ALARMS_MAX).reverse()) {
      current.add(item.id);
      if (!alarms.has(item.id) && !isAcked(item.id)) fresh.push(item);
      upsertAlarm(item, false);
    }
    for (const id of Array.from(alarms.keys())) if (!current.has(id)) removeAlarm(id);
    renderAlarmCount();
    disputeAlarms.clear();
    disputeAlarmsEl.replaceChildren();
    for (const item of (snapshot.dispute_alarms || []).slice().reverse()) upsertDisputeAlarm(item);
    renderDisputeAlarms();
    careAlarms.clear();
    if (careAlarmsEl) careAlarmsEl.replaceChildren();
    for (const item of (snapshot.care_alarms || []).slice().reverse()) upsertCareAlarm(item);
    renderCareAlarms();
    if (fresh.length) {
      beep();
      if (fresh.length === 1) notify(fresh[0]);
      else notifyText(interpolate(gettext("%s alarms to acknowledge"), [fresh.length]), "");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Applying an event (an upsert keyed by id)

  // The newest version shown of each event: with more than one publisher, a push read before a
  // later change can arrive after it; an older version never replaces a newer one.
  const versions = new Map();  // event id → updated_at (ISO, UTC), oldest first, capped
  const VERSIONS_MAX = 5000;

  function isStale(item) {
    const shown = versions.get(item.id);
    if (shown && item.updated_at && item.updated_at < shown) return true;
    versions.delete(item.id);
    versions.set(item.id, item.updated_at || "");
    if (versions.size > VERSIONS_MAX) versions.delete(versions.keys().next().value);
    return false;
  }

  // A numbered push: an event, a dispute, a care alarm or cameras' status (the stream numbers them all).
  function applyPush(message) {
    if (message.type === "dispute") applyDispute(message.data);
    else if (message.type === "care") applyCare(message.data);
    else if (message.type === "camera") return;  // the figures that follow carry the online rates
    else applyEvent(message.data);
  }

  function applyEvent(item) {
    if (!item || item.id == null || isStale(item)) return;
    upsertFeed(item);
    if (item.open && item.lat != null) {
      upsertMarker(item);
      if (item.light === "red") markers.get(item.id).bringToFront();
    } else {
      removeMarker(item.id);
    }
    updateMapCount();
    if (item.open && (item.urgent || item.light === "red")) {
      const isNew = !alarms.has(item.id);
      upsertAlarm(item, true);
      if (isNew && !isAcked(item.id)) { beep(); notify(item); }
    } else {
      removeAlarm(item.id);
    }
    renderAlarmCount();
  }

  // Feed --------------------------------------------------------------------------------------

  function feedRow(item, fresh) {
    const li = el("li", "feed-item" + (fresh ? " fresh" : "") + (item.action === "report" ? " is-new" : ""));
    li.dataset.eventId = item.id;
    li.dataset.light = item.light;
    const a = el("a", "feed-link");
    a.href = item.url;
    const top = el("div", "feed-top");
    const dot = el("span", "dot light-" + item.light);
    dot.title = label("light", item.light);
    top.append(dot, el("strong", "feed-category", item.category));
    if (item.urgent) top.appendChild(el("span", "pill pill-urgent", gettext("Urgent")));
    // Asked for by the volunteer, not confirmed: seen in the feed and on the map, without the alarm.
    if (item.urgent_requested) top.appendChild(el("span", "pill pill-urgent-requested", gettext("Urgency requested")));
    top.appendChild(el("span", "feed-action", item.action === "report" ? gettext("New") : label("action", item.action) || label("state", item.state)));
    const time = el("time", "feed-time", when(item.updated_at || item.reported_at));
    time.dateTime = item.updated_at || item.reported_at;
    top.appendChild(time);
    const place = el("div", "feed-place", item.place);
    const text = el("div", "feed-text", item.excerpt);
    a.append(top, place, text);
    li.appendChild(a);
    return li;
  }

  function upsertFeed(item) {
    const old = feedEl.querySelector('li[data-event-id="' + item.id + '"]');
    if (old) old.remove();
    feedEl.insertBefore(feedRow(item, true), feedEl.firstChild);
    while (feedEl.children.length > FEED_MAX) feedEl.lastElementChild.remove();
    document.getElementById("feed-empty").hidden = true;
  }

  // Map ---------------------------------------------------------------------------------------

  const mapEl = document.getElementById("dash-map");
  const map = L.map(mapEl, { preferCanvas: true, zoomSnap: 0.25, attributionControl: true, zoomControl: !WALL });
  // The live patrols layer (patrol-live.js), fed by the snapshot and the `patrol` pushes.
  patrolLayer = window.wjPatrolLayer
    ? window.wjPatrolLayer(map, {
      onChange: () => {  // the patrols under way, as the layer holds them
        const tile = document.getElementById("ptile-active");
        if (tile) tile.querySelector(".stat-n").textContent = formatFigure("active", patrolLayer ? patrolLayer.count() : 0);
      },
    })
    : null;
  map.attributionControl.setPrefix(false);
  map.setView([30.695, 103.834], 11);
  if (mapEl.dataset.tileUrl) {
    L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  } else {
    mapEl.classList.add("map-plain");
  }
  const markerLayer = L.layerGroup().addTo(map);
  const markers = new Map();  // event id → circleMarker, oldest first
  const markerRadius = WALL ? 6 : 5;

  function markerStyle(item) {
    const ringed = item.urgent || item.urgent_requested;
    return {
      radius: ringed ? markerRadius + 2 : markerRadius,
      color: ringed ? (WALL ? "#fff" : "#c0392b") : "rgba(0,0,0,.45)",
      weight: ringed ? 2.5 : 1,
      dashArray: item.urgent_requested && !item.urgent ? "3 3" : null,  // requested: a broken ring
      fillColor: LIGHT_COLOURS[item.light] || LIGHT_COLOURS.green,
      fillOpacity: 0.95,
    };
  }

  function markerPopup(item) {
    const box = el("div", "marker-popup");
    const a = el("a", null, item.number + " " + item.category);
    a.href = item.url;
    box.append(a, el("div", "muted", item.place), el("div", null, item.excerpt),
      el("div", "muted", label("state", item.state) + " · " + label("light", item.light)));
    return box;
  }

  function upsertMarker(item) {
    if (item.lat == null || item.lng == null) return;
    let marker = markers.get(item.id);
    if (marker) {
      marker.setLatLng([item.lat, item.lng]);
      marker.setStyle(markerStyle(item));
    } else {
      marker = L.circleMarker([item.lat, item.lng], markerStyle(item));
      marker.addTo(markerLayer);
      markers.set(item.id, marker);
      if (markers.size > MARKERS_MAX) removeMarker(markers.keys().next().value);
    }
    marker.item = item;
    marker.bindPopup(() => markerPopup(marker.item));
  }

  function removeMarker(id) {
    const marker = markers.get(id);
    if (!marker) return;
    marker.remove();
    markers.delete(id);
  }

  function raiseRed() {
    for (const marker of markers.values()) if (marker.item.light === "red" || marker.item.urgent) marker.bringToFront();
  }

  function updateMapCount() {
    document.getElementById("map-count").textContent = interpolate(gettext("%s open"), [numberFormat.format(markers.size)]);
  }

  async function fetchFeatures(url) {
    const features = [];
    for (let page = 0; url && page < 20; page++) {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.status + " " + url);
      const body = await response.json();
      features.push(...body.features);
      url = body.next;
    }
    return { type: "FeatureCollection", features };
  }

  async function loadBoundaries() {
    const center = root.dataset.centerId;
    const [centers, grids] = await Promise.all([
      fetchFeatures("/api/centers/geojson/?within=" + center + "&page_size=1000"),
      fetchFeatures("/api/grids/?center=" + center + "&page_size=1000"),
    ]);
    const line = WALL ? "#4a6fa5" : "#7f9cc4";
    L.geoJSON(grids, {
      interactive: false,
      style: () => ({ color: line, weight: 0.6, opacity: 0.7, fillColor: WALL ? "#1b3358" : "#dbe7f5", fillOpacity: WALL ? 0.35 : 0.35 }),
    }).addTo(map).bringToBack();
    const own = Number(center);
    const outlines = L.geoJSON(centers, {
      interactive: false,
      filter: (f) => f.properties.id !== own && f.properties.parent === own,
      style: () => ({ fill: false, color: WALL ? "#9cc3ee" : "#1d4f91", weight: WALL ? 1.8 : 1.6 }),
    }).addTo(map);
    const self = L.geoJSON({ type: "FeatureCollection", features: centers.features.filter((f) => f.properties.id === own) }, {
      interactive: false, style: () => ({ fill: false, color: WALL ? "#e8f1ff" : "#143a6b", weight: 2.5 }),
    }).addTo(map);
    const bounds = self.getLayers().length ? self.getBounds() : outlines.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else if (markers.size) map.fitBounds(markerLayer.getLayers().map((m) => m.getLatLng()));
  }

  // Alarms -------------------------------------------------------------------------------------

  const alarms = new Map();  // event id → item
  let acked = [];
  try { acked = JSON.parse(localStorage.getItem(ACKED_KEY) || "[]").filter(Number.isFinite).slice(-ACKED_MAX); } catch (error) { acked = []; }
  const ackedSet = new Set(acked);

  function isAcked(id) { return ackedSet.has(id); }

  function acknowledge(ids) {
    for (const id of ids) {
      if (ackedSet.has(id)) continue;
      ackedSet.add(id);
      acked.push(id);
    }
    while (acked.length > ACKED_MAX) ackedSet.delete(acked.shift());
    try { localStorage.setItem(ACKED_KEY, JSON.stringify(acked)); } catch (error) { /* private mode: this page only */ }
    for (const id of ids) {
      const li = alarmsEl.querySelector('li[data-event-id="' + id + '"]');
      if (li) { li.classList.add("acked"); li.classList.remove("unacked"); alarmsEl.appendChild(li); }
    }
    renderAlarmCount();
  }

  function alarmRow(item) {
    const li = el("li", "alarm " + (isAcked(item.id) ? "acked" : "unacked") + " alarm-" + item.light);
    li.dataset.eventId = item.id;
    const a = el("a", "alarm-link");
    a.href = item.url;
    const top = el("div", "alarm-top");
    top.appendChild(el("span", "dot light-" + item.light));
    if (item.light === "red") top.appendChild(el("span", "pill pill-red", gettext("Red light")));
    if (item.urgent) top.appendChild(el("span", "pill pill-urgent", gettext("Urgent")));
    if (item.supervision && item.supervision !== "none") {
      top.appendChild(el("span", "pill pill-" + item.supervision, label("supervision", item.supervision)));
    }
    top.appendChild(el("strong", "alarm-category", item.category));
    a.append(top, el("div", "alarm-place", item.place + " · " + label("state", item.state)), el("div", "alarm-text", item.excerpt));
    const ack = el("button", "alarm-ack", gettext("Acknowledge"));
    ack.type = "button";
    ack.addEventListener("click", () => acknowledge([item.id]));
    li.append(a, ack);
    return li;
  }

  function upsertAlarm(item, fresh) {
    alarms.delete(item.id);
    alarms.set(item.id, item);
    const old = alarmsEl.querySelector('li[data-event-id="' + item.id + '"]');
    if (old) old.remove();
    const li = alarmRow(item);
    if (fresh) li.classList.add("fresh");
    // Unacknowledged alarms first, newest on top; acknowledged ones below them.
    if (isAcked(item.id)) {
      const firstAcked = alarmsEl.querySelector("li.acked");
      alarmsEl.insertBefore(li, firstAcked);
    } else {
      alarmsEl.insertBefore(li, alarmsEl.firstChild);
    }
    while (alarms.size > ALARMS_MAX) removeAlarm(alarms.keys().next().value);
  }

  function removeAlarm(id) {
    alarms.delete(id);
    const li = alarmsEl.querySelector('li[data-event-id="' + id + '"]');
    if (li) li.remove();
  }

  // Disputes -------------------------------------------------------------------------------------
  // Open disputes with an alarm (signs of turning criminal, a group dispute) or a red or orange risk.

  const disputeAlarmsEl = document.getElementById("dispute-alarms");
  const disputeAlarms = new Map();  // dispute id → item
  const dispVersions = new Map();

  function disputeAlarmRow(item) {
    const li = el("li", "alarm dispute-alarm" + (item.alarmed ? " unacked" : ""));
    li.dataset.disputeId = item.id;
    const a = el("a", "alarm-link");
    a.href = item.url;
    const top = el("div", "alarm-top");
    if (item.risk) top.appendChild(el("span", "pill risk-" + item.risk, label("risk", item.risk)));
    if (item.alarmed) top.appendChild(el("span", "pill pill-red", gettext("Alarm")));
    top.appendChild(el("strong", "alarm-category", item.type));
    const signals = (item.signals || []).map((code) => label("signal", code)).join("、");
    a.append(
      top,
      el("div", "alarm-place", item.number + " · " + item.center + " · " + label("dispute_state", item.state)),
      el("div", "alarm-text", item.title + (signals ? " · " + signals : "")),
    );
    li.appendChild(a);
    return li;
  }

  function upsertDisputeAlarm(item) {
    disputeAlarms.delete(item.id);
    disputeAlarms.set(item.id, item);
    const old = disputeAlarmsEl.querySelector('li[data-dispute-id="' + item.id + '"]');
    if (old) old.remove();
    disputeAlarmsEl.insertBefore(disputeAlarmRow(item), disputeAlarmsEl.firstChild);
    while (disputeAlarms.size > ALARMS_MAX) removeDisputeAlarm(disputeAlarms.keys().next().value);
  }

  function removeDisputeAlarm(id) {
    disputeAlarms.delete(id);
    const li = disputeAlarmsEl.querySelector('li[data-dispute-id="' + id + '"]');
    if (li) li.remove();
  }

  function renderDisputeAlarms() {
    document.getElementById("dispute-alarm-count").textContent = String(disputeAlarms.size);
    document.getElementById("dispute-alarms-empty").hidden = disputeAlarms.size > 0;
  }

  function applyDispute(item) {
    if (!item || item.id == null) return;
    const shown = dispVersions.get(item.id);
    if (shown && item.updated_at && item.updated_at < shown) return;  // an older push arriving late
    dispVersions.set(item.id, item.updated_at || "");
    if (dispVersions.size > VERSIONS_MAX) dispVersions.delete(dispVersions.keys().next().value);
    const watched = item.open && (item.alarmed || item.risk === "red" || item.risk === "orange");
    if (watched) {
      const isNew = !disputeAlarms.has(item.id);
      upsertDisputeAlarm(item);
      if (isNew && item.alarmed) {
        beep();
        notifyText(gettext("Dispute alarm") + " " + item.number, item.title, "dispute-" + item.id, item.url);
      }
    } else {
      removeDisputeAlarm(item.id);
    }
    renderDisputeAlarms();
  }

  // Special populations (care): lost contact and escalated visits, without names; counts only.
  const careAlarmsEl = document.getElementById("care-alarms");
  const careAlarms = new Map();  // person id → item

  function careAlarmRow(item) {
    const li = el("li", "alarm dispute-alarm" + (item.kind === "lost_contact" ? " unacked" : ""));
    li.dataset.personId = item.id;
    const a = el("a", "alarm-link");
    a.href = "/care/" + item.id + "/";
    const top = el("div", "alarm-top");
    top.appendChild(el("span", "pill pill-red", item.kind === "lost_contact" ? gettext("Lost contact") : gettext("Visit overdue")));
    top.appendChild(el("strong", "alarm-category", item.person_type_label));
    a.append(top, el("div", "alarm-place", item.center_name + (item.since ? " · " + String(item.since).slice(0, 10) : "")));
    li.appendChild(a);
    return li;
  }

  function upsertCareAlarm(item) {
    if (!careAlarmsEl) return;
    careAlarms.delete(item.id);
    careAlarms.set(item.id, item);
    const old = careAlarmsEl.querySelector('li[data-person-id="' + item.id + '"]');
    if (old) old.remove();
    careAlarmsEl.insertBefore(careAlarmRow(item), careAlarmsEl.firstChild);
  }

  function renderCareAlarms() {
    const count = document.getElementById("care-alarm-count");
    if (count) count.textContent = String(careAlarms.size);
    const empty = document.getElementById("care-alarms-empty");
    if (empty) empty.hidden = careAlarms.size > 0;
  }

  function applyCare(item) {
    if (!item || item.id == null || !careAlarmsEl) return;
    if (item.active) {
      const isNew = !careAlarms.has(item.id);
      upsertCareAlarm(item);
      if (isNew && item.kind === "lost_contact") {
        beep();
        notifyText(gettext("Lost contact") + " · " + item.person_type_label, item.center_name, "care-" + item.id, "/care/" + item.id + "/");
      }
    } else {
      careAlarms.delete(item.id);
      const li = careAlarmsEl.querySelector('li[data-person-id="' + item.id + '"]');
      if (li) li.remove();
    }
    renderCareAlarms();
  }

  function applyCareCounts(figures) {
    const panel = document.getElementById("care-panel");
    if (!panel) return;
    panel.hidden = !figures;
    if (!figures) return;
    for (const key of ["in_care", "overdue", "lost"]) {
      const tile = document.getElementById("ctile-" + key);
      if (tile) tile.querySelector(".stat-n").textContent = String(figures[key]);
    }
  }

  function applyPatrolCounts(figures) {
    const panel = document.getElementById("patrols-panel");
    if (!panel) return;
    panel.hidden = !figures;
    if (!figures) return;
    for (const key of ["active", "today", "coverage", "missed_month"]) {
      const tile = document.getElementById("ptile-" + key);
      if (tile) tile.querySelector(".stat-n").textContent = formatFigure(key === "coverage" ? "coverage_rate" : key, figures[key]);
    }
  }

  // The video panel: online rate of the area's cameras by network and by child (counts.video).
  function applyVideoCounts(figures) {
    const panel = document.getElementById("video-panel");
    if (!panel) return;  // a role that does not watch the area's cameras
    panel.hidden = !figures;
    if (!figures) return;
    const rate = (row) => (row && row.total ? formatFigure("online_rate", row.rate) : "—");
    const total = document.getElementById("vtile-all");
    const text = rate(figures);
    const n = total.querySelector(".stat-n");
    if (n.textContent !== text) {
      n.textContent = text;
      total.classList.remove("bump");
      void total.offsetWidth;
      total.classList.add("bump");
    }
    total.title = interpolate(gettext("%s of %s online"), [figures.online, figures.total]);
    const networks = new Map((figures.by_network || []).map((row) => [row.key, row]));
    for (const tile of panel.querySelectorAll("[data-network]")) {
      const row = networks.get(tile.dataset.network);
      tile.querySelector(".stat-n").textContent = rate(row);
      tile.title = row ? interpolate(gettext("%s of %s online"), [row.online, row.total]) : gettext("No cameras.");
    }
    const body = document.getElementById("video-children");
    body.replaceChildren();
    for (const row of figures.by_child || []) {
      const tr = el("tr");
      tr.dataset.key = row.key;
      tr.appendChild(el("td", null, shortName(row.name, false)));
      tr.appendChild(el("td", "num", numberFormat.format(row.online) + " / " + numberFormat.format(row.total)));
      const cell = el("td", "num", rate(row));
      if (row.rate != null && row.rate < 0.8) cell.classList.add("rate-low");
      tr.appendChild(cell);
      body.appendChild(tr);
    }
    document.getElementById("video-children-title").textContent = VIDEO_CHILD_TITLES[figures.child_level] || gettext("By area");
    document.getElementById("video-empty").hidden = figures.total > 0;
  }

  function applyDisputeCounts(figures) {
    const panel = document.getElementById("disputes-panel");
    if (!panel) return;
    panel.hidden = !figures;  // a department's dashboard: no disputes
    if (!figures) return;
    for (const key of ["taken_in", "open", "overdue", "alarms", "success_rate"]) {
      const tile = document.getElementById("dtile-" + key);
      if (tile) tile.querySelector(".stat-n").textContent = formatFigure(key, figures[key]);
    }
  }

  function renderAlarmCount() {
    const unacked = Array.from(alarms.keys()).filter((id) => !isAcked(id)).length;
    const count = document.getElementById("alarm-count");
    count.textContent = String(alarms.size);
    count.title = interpolate(gettext("%s not acknowledged"), [unacked]);
    count.classList.toggle("count-alert", unacked > 0);
    document.getElementById("alarms-empty").hidden = alarms.size > 0;
    document.getElementById("alarms-ack-all").hidden = unacked === 0;
    root.classList.toggle("has-unacked", unacked > 0);
  }

  document.getElementById("alarms-ack-all").addEventListener("click", () => {
    acknowledge(Array.from(alarms.keys()).filter((id) => !isAcked(id)));
  });

  // Sound and desktop notifications (both need a click first: browsers' autoplay rules) ------------

  const alertsButton = document.getElementById("alerts-enable");
  let audio = null;
  let alertsOn = false;
  try { alertsOn = localStorage.getItem(ALERTS_KEY) === "on"; } catch (error) { alertsOn = false; }

  function ensureAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }

  function beep() {
    if (!alertsOn || !audio || audio.state !== "running") return;
    const start = audio.currentTime + 0.02;
    for (const [offset, frequency] of [[0, 880], [0.22, 660]]) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.2);
    }
  }

  function notifyText(title, body, tag, url) {
    if (!alertsOn || !("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const notification = new Notification(title, { body, tag: tag || "wj-dashboard", renotify: false });
      notification.onclick = () => { window.focus(); if (url) window.open(url, "_blank"); notification.close(); };
    } catch (error) { /* some browsers only notify from a service worker */ }
  }

  function notify(item) {
    const what = item.light === "red" ? gettext("Red light") : gettext("Urgent");
    notifyText(what + " · " + item.category, item.place + " · " + item.excerpt, "wj-event-" + item.id, item.url);
  }

  function renderAlertsButton() {
    alertsButton.setAttribute("aria-pressed", alertsOn ? "true" : "false");
    alertsButton.textContent = alertsOn ? gettext("Sound and desktop alerts on") : gettext("Turn on sound and desktop alerts");
    alertsButton.classList.toggle("on", alertsOn);
  }

  alertsButton.addEventListener("click", () => {
    alertsOn = !alertsOn;
    try { localStorage.setItem(ALERTS_KEY, alertsOn ? "on" : "off"); } catch (error) { /* this page only */ }
    if (alertsOn) {
      ensureAudio();
      if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
      setTimeout(beep, 50);  // a test beep: the officer hears that sound works
    }
    renderAlertsButton();
  });
  // Alerts turned on earlier: the browser lets sound play after the first click on the page.
  document.addEventListener("pointerdown", () => { if (alertsOn) ensureAudio(); }, { once: true, capture: true });
  if (alertsOn) ensureAudio();
  renderAlertsButton();

  // Inbox messages ------------------------------------------------------------------------------

  function onNotification(data) {
    if (window.inbox) window.inbox.setUnread(data.unread);  // static/js/inbox.js: the badge in the menu
    if (data.message) showToast(data.message, 8000, data.url || null);
  }

  let toastTimer = null;
  function showToast(text, ms, url) {
    toastEl.replaceChildren();
    if (url) { const a = el("a", null, text); a.href = url; toastEl.appendChild(a); } else toastEl.textContent = text;
    toastEl.hidden = false;
    clearTimeout(toastTimer);
    if (ms !== 0) toastTimer = setTimeout(() => { toastEl.hidden = true; }, ms || 8000);
  }

  // Figures and charts --------------------------------------------------------------------------

  const CHILD_TITLES = {
    district: gettext("This year by district"),
    town: gettext("This year by town and street"),
    community: gettext("This year by community and village"),
    grid: gettext("This year by grid"),
  };
  const VIDEO_CHILD_TITLES = {
    district: gettext("By district"),
    town: gettext("By town and street"),
    community: gettext("By community and village"),
    grid: gettext("By grid"),
  };
  const chartTheme = WALL ? "dark" : null;
  const chartCounts = echarts.init(document.getElementById("chart-by-child"), chartTheme);
  const chartRates = echarts.init(document.getElementById("chart-rates"), chartTheme);
  let childIds = [];
  let childLevel = null;
  window.addEventListener("resize", () => {
    chartCounts.resize();
    chartRates.resize();
    if (counts) renderCharts(counts);
  });

  function drillDown(params) {
    const id = childIds[params.dataIndex];
    if (id != null && childLevel !== "grid") location.href = root.dataset.childUrl + id;
  }
  chartCounts.on("click", drillDown);
  chartRates.on("click", drillDown);

  function shortName(name, terse) {
    // "航天路社区第1网格" under 航天路社区 reads as "第1网格"; where space is short, "航天路社区" as "航天路".
    const prefix = root.dataset.centerName || "";
    if (prefix && name.startsWith(prefix) && name.length > prefix.length) return name.slice(prefix.length);
    if (terse) {
      const stem = name.replace(/(社区|街道|村)$/, "");
      if (stem.length >= 2) return stem;
    }
    return name;
  }

  function applyCounts(data) {
    if (!data || !data.today) return;
    counts = data;
    for (const period of ["today", "year"]) {
      for (const key of FIGURES) {
        const tile = document.getElementById("tile-" + period + "-" + key);
        if (!tile) continue;
        const text = formatFigure(key, data[period][key]);
        const n = tile.querySelector(".stat-n");
        if (n.textContent !== text) {
          n.textContent = text;
          tile.classList.remove("bump");
          void tile.offsetWidth;  // restart the highlight
          tile.classList.add("bump");
        }
      }
    }
    applyDisputeCounts(data.disputes);
    applyCareCounts(data.care);
    applyVideoCounts(data.video);
    const date = document.getElementById("stat-date");
    if (date && data.date) date.textContent = shortDayFormat.format(new Date(data.date + "T12:00:00Z"));
    renderCharts(data);
  }

  function renderCharts(data) {
    const children = data.by_child || [];
    childIds = children.map((c) => c.id);
    childLevel = data.child_level;
    document.getElementById("chart-counts-title").textContent = CHILD_TITLES[data.child_level] || gettext("This year by area");
    const fontSize = WALL ? 14 : 12;
    // Names side by side while they fit; shorter, then slanted, when they do not.
    const fits = (list) => list.length * (Math.max(0, ...list.map((n) => n.length)) * fontSize + 8) <= chartCounts.getWidth() - 60;
    let names = children.map((c) => shortName(c.name, false));
    if (!fits(names)) names = children.map((c) => shortName(c.name, true));
    const slant = !fits(names);
    const text = WALL ? "#c9d6ea" : "#4a5663";
    const axisLabel = { interval: 0, rotate: slant ? 40 : 0, color: text, fontSize, hideOverlap: false, margin: 6 };
    const valueLabel = { color: text, fontSize };
    // Tooltips are drawn on the canvas (renderMode "richText"), not as HTML: ECharts' HTML tooltips
    // carry inline style attributes, which the Content-Security-Policy (style-src 'self') refuses.
    const plain = (text) => String(text).replace(/[{}|]/g, " ");  // rich-text markup characters
    const fullName = (params) => {
      const list = Array.isArray(params) ? params : [params];
      const child = children[list[0].dataIndex];
      return plain(child ? child.name : "") + "\n" + list.map((p) => p.marker + plain(p.seriesName) + "　" + (p.value == null ? "—" : p.value + (p.seriesType === "line" || p.seriesId === "closure" ? "%" : ""))).join("\n");
    };
    const common = {
      backgroundColor: "transparent",
      textStyle: { fontSize: WALL ? 14 : 12 },
      grid: { left: slant ? 20 : 8, right: 12, top: 36, bottom: 4, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText", formatter: fullName },
      legend: { top: 0, textStyle: { color: text, fontSize: WALL ? 14 : 12 } },
      animationDurationUpdate: 600,
    };
    chartCounts.setOption({
      ...common,
      xAxis: { type: "category", data: names, axisLabel },
      yAxis: { type: "value", axisLabel: valueLabel, splitLine: { lineStyle: { opacity: WALL ? 0.15 : 0.6 } } },
      series: [
        { id: "reported", name: gettext("Reported"), type: "bar", data: children.map((c) => c.reported), itemStyle: { color: "#3b82c4" } },
        { id: "closed", name: gettext("Closed"), type: "bar", data: children.map((c) => c.closed), itemStyle: { color: "#27ae60" } },
        { id: "overdue", name: gettext("Overdue"), type: "bar", data: children.map((c) => c.overdue), itemStyle: { color: "#e74c3c" } },
      ],
    });
    const percent = (v) => (v == null ? null : Math.round(v * 1000) / 10);
    const rates = children.flatMap((c) => [c.closure_rate, c.on_time_rate]).filter((v) => v != null);
    const low = rates.length ? Math.max(0, Math.floor(Math.min(...rates) * 10 - 1) * 10) : 0;
    chartRates.setOption({
      ...common,
      xAxis: { type: "category", data: names, axisLabel },
      yAxis: { type: "value", min: low, max: 100, axisLabel: { ...valueLabel, formatter: "{value}%" }, splitLine: { lineStyle: { opacity: WALL ? 0.15 : 0.6 } } },
      series: [
        { id: "closure", name: gettext("Closure rate"), type: "bar", data: children.map((c) => percent(c.closure_rate)), itemStyle: { color: "#3b82c4" } },
        { id: "on_time", name: gettext("On-time rate"), type: "line", data: children.map((c) => percent(c.on_time_rate)), itemStyle: { color: "#f39c12" }, lineStyle: { width: 2 }, symbolSize: 6 },
      ],
    });
  }

  // Clock and the day's end ---------------------------------------------------------------------

  const clockEl = document.getElementById("dash-clock");
  let day = today();
  function tick() {
    if (clockEl) clockEl.textContent = clockFormat.format(new Date());
    const now = today();
    if (now !== day) {  // a new day: today's figures start again
      day = now;
      requestSync(Math.random() * 30000);
    }
  }
  setInterval(tick, 1000);
  tick();

  // ---------------------------------------------------------------------------------------------
  // For browser tests and the console

  window.dashboard = {
    get state() { return liveState; },
    get lastSeq() { return lastSeq; },
    get counts() { return counts; },
    get snapshots() { return snapshots; },
    feedIds: () => Array.from(feedEl.children, (li) => Number(li.dataset.eventId)),
    alarmIds: () => Array.from(alarms.keys()),
    disputeAlarmIds: () => Array.from(disputeAlarms.keys()),
    markerIds: () => Array.from(markers.keys()),
    held: () => reorder.size,  // pushes waiting for a gap to fill
    receive,
    resync: () => requestSync(0),
  };

  connect();
  // The socket may never open (the ASGI server down): show the snapshot after a short wait anyway.
  setTimeout(() => { if (!everSynced) requestSync(0); }, HELLO_WAIT_MS);
  loadBoundaries().catch(() => {});
})();
