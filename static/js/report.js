/* The report page: category search, photos resized in the browser, a pin on the map, and an
   outbox that keeps failed reports on the phone and sends them again. A report carries a
   client_id made here, so sending it twice never makes two events (the API answers 200). */
(function () {
  "use strict";
  const MAX_SIDE = 1600;
  const JPEG_QUALITY = 0.8;
  const MAX_PHOTOS = 9;
  const RETRY_MS = 60000;

  const form = document.getElementById("report-form");
  const apiUrl = form.dataset.api;
  const eventUrl = (id) => form.dataset.eventUrl.replace("/0/", "/" + id + "/");
  const userId = form.dataset.user;
  const $ = (id) => document.getElementById(id);

  // --- helpers ------------------------------------------------------------------------------------
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    // crypto.randomUUID needs a secure context (https); getRandomValues does not.
    const bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text != null) node.textContent = text;
    return node;
  }

  function flatten(errors) {
    if (errors == null) return [];
    if (typeof errors === "string") return [errors];
    if (Array.isArray(errors)) return errors.flatMap(flatten);
    if (typeof errors === "object") return Object.values(errors).flatMap(flatten);
    return [String(errors)];
  }

  // --- the outbox: IndexedDB (photos as ArrayBuffers), or localStorage (data URLs) -----------------
  const outbox = (function () {
    const LS_KEY = "wj-report-outbox";
    let dbPromise = null;

    function openDb() {
      if (!dbPromise) {
        dbPromise = new Promise((resolve, reject) => {
          if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
          const request = indexedDB.open("wj-reports", 1);
          request.onupgradeneeded = () => request.result.createObjectStore("outbox", { keyPath: "client_id" });
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        }).catch((error) => { dbPromise = Promise.resolve(null); console.warn(error); return null; });
      }
      return dbPromise;
    }

    function tx(db, mode, work) {
      return new Promise((resolve, reject) => {
        const t = db.transaction("outbox", mode);
        const store = t.objectStore("outbox");
        const request = work(store);
        t.oncomplete = () => resolve(request && request.result);
        t.onerror = () => reject(t.error);
        t.onabort = () => reject(t.error);
      });
    }

    function lsAll() {
      try { return JSON.parse(localStorage.getItem(LS_KEY) || "[]"); } catch (e) { return []; }
    }

    function lsSave(records) { localStorage.setItem(LS_KEY, JSON.stringify(records)); }

    function bufferToDataUrl(buffer, type) {
      let binary = "";
      const bytes = new Uint8Array(buffer);
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      return "data:" + type + ";base64," + btoa(binary);
    }

    return {
      // A shared phone: each user sees and sends only their own reports.
      async all() {
        const db = await openDb();
        const records = db ? (await tx(db, "readonly", (s) => s.getAll())) || [] : lsAll();
        return records.filter((r) => r.user === userId);
      },
      async put(record) {
        const db = await openDb();
        if (db) { await tx(db, "readwrite", (s) => s.put(record)); return; }
        const copy = Object.assign({}, record, {
          photos: record.photos.map((p) => Object.assign({}, p, {
            data: p.data == null || typeof p.data === "string" ? p.data : bufferToDataUrl(p.data, p.type),
          })),
        });
        lsSave(lsAll().filter((r) => r.client_id !== record.client_id).concat([copy]));
      },
      async remove(clientId) {
        const db = await openDb();
        if (db) { await tx(db, "readwrite", (s) => s.delete(clientId)); return; }
        lsSave(lsAll().filter((r) => r.client_id !== clientId));
      },
    };
  })();

  function photoBlob(photo) {
    if (typeof photo.data !== "string") return new Blob([photo.data], { type: photo.type });
    const [head, body] = photo.data.split(",");
    const binary = atob(body);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type: head.slice(5).split(";")[0] });
  }

  // Sending one record: the event (idempotent by client_id), then each photo not yet uploaded.
  // Outcomes: sent | refused (4xx: the data is wrong) | offline | server (5xx) | login (401/403).
  async function send(record) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
    let response;
    try {
      response = await fetch(apiUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: Object.assign({ "Content-Type": "application/json" }, headers),
        body: JSON.stringify(record.body),
      });
    } catch (error) {
      return { outcome: "offline" };
    }
    const problem = classify(response.status);
    if (problem) return { outcome: problem };
    let data = {};
    try { data = await response.json(); } catch (error) { /* an empty body */ }
    if (!response.ok) return { outcome: "refused", errors: data };
    record.event = { id: data.id, number: data.number };
    await outbox.put(record);
    for (const photo of record.photos) {
      if (photo.done) continue;
      const body = new FormData();
      body.append("image", photoBlob(photo), "photo.jpg");
      body.append("kind", "report");
      let upload;
      try {
        upload = await fetch(apiUrl + record.event.id + "/attachments/", {
          method: "POST", credentials: "same-origin", headers, body,
        });
      } catch (error) {
        return { outcome: "offline" };
      }
      let refusal = null;
      if (!upload.ok) {
        try { refusal = await upload.json(); } catch (error) { /* no body */ }
      }
      // A 403 naming the attach step: the event moved on (accepted) and photos are no longer the
      // reporter's to add; not a sign-in problem, so the outbox does not retry it forever.
      const refusedStep = upload.status === 403 && refusal && refusal.action === "attach";
      const uploadProblem = refusedStep ? null : classify(upload.status);
      if (uploadProblem) return { outcome: uploadProblem };
      if (!upload.ok) {
        // 403/409/413/415/400: this photo will never be taken; say so and go on with the others.
        let detail = "";
        if (refusal) { const { action, state, ...rest } = refusal; detail = flatten(rest).join(" "); }
        photo.failed = detail || String(upload.status);
      }
      photo.done = true;
      photo.data = null;
      await outbox.put(record);
    }
    await outbox.remove(record.client_id);
    return { outcome: "sent", record };
  }

  function classify(status) {
    if (status === 429) return "limited";  // too many reports: kept in the outbox, sent later
    if (status >= 500 || status === 0 || status === 408) return "server";
    if (status === 401 || status === 403) return "login";
    return null;
  }

  // One sender at a time: the form and the outbox never send the same record concurrently.
  let chain = Promise.resolve();
  function exclusive(work) {
    const run = chain.then(work, work);
    chain = run.catch(() => {});
    return run;
  }

  // --- the outbox on the page ---------------------------------------------------------------------
  const OUTCOME_TEXT = {
    offline: gettext("No network."),
    server: gettext("The server did not answer properly."),
    login: gettext("Sign in again, then send."),
    limited: gettext("Too many reports in a short time: it will be sent later."),
  };

  async function renderOutbox() {
    const records = await outbox.all();
    const list = $("outbox-list");
    list.textContent = "";
    $("outbox").hidden = records.length === 0;
    $("outbox-count").textContent = records.length ? "(" + records.length + ")" : "";
    records.sort((a, b) => a.saved - b.saved);
    for (const record of records) {
      const item = el("li", { class: "outbox-item" });
      item.appendChild(el("strong", {}, record.label));
      const when = new Date(record.saved).toLocaleString();
      const pending = record.photos.filter((p) => !p.done).length;
      let state = record.event
        ? interpolate(ngettext("Event %s received; %s photo still to send.", "Event %s received; %s photos still to send.", pending), [record.event.number, pending])
        : interpolate(gettext("Saved %s"), [when]);
      if (record.lastOutcome && OUTCOME_TEXT[record.lastOutcome]) state += " " + OUTCOME_TEXT[record.lastOutcome];
      item.appendChild(el("div", { class: "muted small" }, state));
      if (record.refused) item.appendChild(el("div", { class: "error small" }, gettext("Refused:") + " " + record.refused));
      const remove = el("button", { type: "button", class: "link danger-link small" }, gettext("Discard"));
      remove.addEventListener("click", async () => {
        if (!window.confirm(gettext("Discard this report? It has not been sent."))) return;
        await outbox.remove(record.client_id);
        renderOutbox();
      });
      item.appendChild(remove);
      list.appendChild(item);
    }
  }

  function flush() {
    return exclusive(async () => {
      const records = await outbox.all();
      for (const record of records) {
        if (record.refused) continue;
        const result = await send(record);
        if (result.outcome === "sent") {
          submitStatus.textContent = "";
          showSent(result.record, true);
        } else if (result.outcome === "refused") {
          record.refused = flatten(result.errors).join(" ") || gettext("The report was refused.");
          await outbox.put(record);
        } else {
          record.lastOutcome = result.outcome;
          await outbox.put(record);
          break; // the network or the server is down: later
        }
      }
    }).catch((error) => console.warn(error)).then(renderOutbox);
  }

  $("outbox-send").addEventListener("click", flush);
  window.addEventListener("online", flush);
  setInterval(() => { if (!$("outbox").hidden && navigator.onLine !== false) flush(); }, RETRY_MS);

  // --- category: a filter box over the grouped select ---------------------------------------------
  const select = $("id_category");
  const filterBox = $("category-filter");
  const urgent = $("id_urgent");
  let urgentTouched = false;
  const groups = Array.from(select.querySelectorAll("optgroup")).map((group) => ({
    label: group.label,
    options: Array.from(group.querySelectorAll("option")).map((o) => ({
      value: o.value, text: o.textContent, urgent: o.dataset.urgent === "1",
    })),
  }));
  const placeholder = select.querySelector("option[value='']");

  function rebuildCategories(query) {
    const current = select.value;
    select.textContent = "";
    select.appendChild(placeholder);
    let matches = 0;
    let only = null;
    for (const group of groups) {
      const hit = query && group.label.includes(query);
      const options = query && !hit ? group.options.filter((o) => o.text.includes(query)) : group.options;
      if (!options.length) continue;
      const node = el("optgroup", { label: group.label });
      for (const o of options) {
        const option = el("option", { value: o.value }, o.text);
        if (o.urgent) option.dataset.urgent = "1";
        node.appendChild(option);
        matches += 1;
        only = o.value;
      }
      select.appendChild(node);
    }
    placeholder.textContent = query && !matches ? gettext("No category matches") : gettext("Choose a category");
    select.value = matches === 1 ? only : current;
    if (select.value !== current) categoryChanged();
  }

  function categoryChanged() {
    const option = select.selectedOptions[0];
    if (option && option.value && !urgentTouched) urgent.checked = option.dataset.urgent === "1";
    checkNearby();
  }

  // --- already reported nearby (附近已有相同上报): asked before sending, shown, never blocking -------
  const nearby = $("nearby");
  let nearbyTimer = null;
  let nearbyTicket = 0;

  function checkNearby() {
    clearTimeout(nearbyTimer);
    nearbyTimer = setTimeout(async () => {
      const lat = $("id_lat").value, lng = $("id_lng").value;
      if (!select.value || !lat || !lng) { nearby.hidden = true; return; }
      const query = new URLSearchParams({ lat, lng, category: select.value, text: $("id_description").value.trim() });
      const ticket = ++nearbyTicket;
      try {
        const response = await fetch(nearby.dataset.api + "?" + query, {
          credentials: "same-origin", headers: { Accept: "application/json" },
        });
        if (ticket !== nearbyTicket || !response.ok) return;
        const found = await response.json();
        const list = $("nearby-list");
        list.replaceChildren(...found.map((e) => {
          const item = el("li", { class: "row-item" });
          const link = el("a", { class: "mono", href: nearby.dataset.eventUrl.replace("/0/", "/" + e.id + "/") }, e.number);
          item.append(link, " ", el("span", { class: "badge" }, e.state_display));
          item.append(el("div", { class: "small" }, e.description.slice(0, 60)));
          item.append(el("div", { class: "muted small" },
            interpolate(gettext("%(m)s m away"), { m: e.distance_m }, true) + " · " + e.created_at.slice(5, 16).replace("T", " ")));
          return item;
        }));
        nearby.hidden = found.length === 0;
      } catch (error) { /* offline: nothing to show, the report is still sent */ }
    }, 500);
  }

  filterBox.addEventListener("input", () => rebuildCategories(filterBox.value.trim()));
  select.addEventListener("change", categoryChanged);
  urgent.addEventListener("change", () => { urgentTouched = true; });

  // --- description counter ------------------------------------------------------------------------
  const description = $("id_description");
  description.addEventListener("input", () => {
    $("description-count").textContent = description.value.length;
    checkNearby();
  });

  // --- photos: resized to 1600 px, JPEG 0.8 --------------------------------------------------------
  const photos = []; // {blob, url}
  const photoInput = $("id_photos");

  function loadImage(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      image.src = url;
    });
  }

  async function resize(file) {
    const image = await loadImage(file); // browsers apply the EXIF orientation to <img>
    const scale = Math.min(1, MAX_SIDE / Math.max(image.naturalWidth, image.naturalHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) => {
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encoding failed"))), "image/jpeg", JPEG_QUALITY);
    });
  }

  function renderPhotos() {
    const box = $("photo-previews");
    box.textContent = "";
    photos.forEach((photo, index) => {
      const figure = el("figure", { class: "photo-preview" });
      figure.appendChild(el("img", { src: photo.url, alt: interpolate(gettext("Photo %s"), [index + 1]) }));
      const remove = el("button", { type: "button", class: "photo-remove", "aria-label": gettext("Remove this photo") }, "×");
      remove.addEventListener("click", () => {
        URL.revokeObjectURL(photo.url);
        photos.splice(index, 1);
        renderPhotos();
      });
      figure.appendChild(remove);
      box.appendChild(figure);
    });
    document.querySelector(".photo-add").hidden = photos.length >= MAX_PHOTOS;
  }

  photoInput.addEventListener("change", async () => {
    const files = Array.from(photoInput.files || []);
    photoInput.value = "";
    showError("photos", "");
    for (const file of files) {
      if (photos.length >= MAX_PHOTOS) { showError("photos", interpolate(gettext("At most %s photos."), [MAX_PHOTOS])); break; }
      try {
        const blob = await resize(file);
        photos.push({ blob, url: URL.createObjectURL(blob) });
      } catch (error) {
        showError("photos", interpolate(gettext("%s could not be read as an image."), [file.name]));
      }
      renderPhotos();
    }
  });

  // --- location: GPS, or a tap on the map; the pin can be dragged --------------------------------
  const mapEl = $("report-map");
  const status = $("location-status");
  let lookup = 0;
  const picker = window.wjLocationPicker(mapEl, {
    status,
    outlines: JSON.parse(($("report-outlines") || {}).textContent || "[]"),
    // The grid's name when the lookup knows it: only a hint (the lookup covers the user's own grids,
    // the report is placed in any grid).
    describe: async (latlng, how, where) => {
      showError("location", "");
      const prefix = how === "gps" ? gettext("Your position") : gettext("Pin");
      const say = (text) => { status.textContent = interpolate(gettext("%(what)s: %(where)s"), { what: prefix, where: text }, true); };
      say(where);
      checkNearby();
      const ticket = ++lookup;
      try {
        const response = await fetch("/api/grids/locate/?lat=" + latlng.lat + "&lng=" + latlng.lng, {
          credentials: "same-origin", headers: { Accept: "application/json" },
        });
        if (ticket !== lookup) return;
        if (response.ok) {
          const grid = await response.json();
          say(grid.properties.name + (grid.properties.center ? " · " + grid.properties.center.name : ""));
        } else if (response.status === 404) {
          say(where + " · " + gettext("outside your grids"));
        }
      } catch (error) { /* offline: the coordinates are enough */ }
    },
  });

  $("locate-again").addEventListener("click", picker.locate);
  picker.locate();

  // --- errors next to the fields ------------------------------------------------------------------
  const FIELD_OF = { lat: "location", lng: "location", location: "location", center: "center" };

  function showError(field, message) {
    const node = form.querySelector('[data-error-for="' + field + '"]') || $("report-error");
    node.textContent = message;
    node.hidden = !message;
  }

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach((node) => { node.textContent = ""; node.hidden = true; });
  }

  function showErrors(errors, fromServer) {
    let first = null;
    const byField = {};
    if (errors && typeof errors === "object" && !Array.isArray(errors)) {
      for (const [key, value] of Object.entries(errors)) {
        let field = FIELD_OF[key] || key;
        if (!form.querySelector('[data-error-for="' + field + '"]')) field = "detail";
        (byField[field] = byField[field] || []).push(...flatten(value));
      }
    } else {
      byField.detail = flatten(errors);
    }
    for (const [field, messages] of Object.entries(byField)) {
      showError(field, messages.join(" "));
      // Outside every grid the API asks for the center by hand.
      if (fromServer && (field === "location" || field === "center")) $("center-choice").hidden = false;
      first = first || form.querySelector('[data-error-for="' + field + '"]');
    }
    if (first) first.scrollIntoView({ behavior: "smooth", block: "center" });
  }

  function checkLocally() {
    const errors = {};
    if (!select.value) errors.category = gettext("Choose a category from the list.");
    if (!description.value.trim()) errors.description = gettext("Describe what you found.");
    if (!$("id_lat").value) errors.location = gettext("Place the pin on the map (tap the map).");
    return errors;
  }

  // --- submit -------------------------------------------------------------------------------------
  const submit = $("report-submit");
  const submitStatus = $("submit-status");

  function resetForm() {
    form.reset();
    urgentTouched = false;
    filterBox.value = "";
    rebuildCategories("");
    $("description-count").textContent = "0";
    photos.splice(0).forEach((p) => URL.revokeObjectURL(p.url));
    renderPhotos();
    $("center-choice").hidden = true;
    // Keep the pin where it is: the next report is usually nearby.
    const pin = picker.pin();
    if (pin) { $("id_lat").value = pin.lat.toFixed(6); $("id_lng").value = pin.lng.toFixed(6); }
  }

  function showSent(record, fromOutbox) {
    const box = $("report-done");
    $("done-number").textContent = record.event.number;
    $("done-link").href = eventUrl(record.event.id);
    const failed = record.photos.filter((p) => p.failed);
    const sent = record.photos.length - failed.length;
    let text = sent ? interpolate(ngettext("%s photo sent.", "%s photos sent.", sent), [sent]) : "";
    if (failed.length) {
      text += " " + interpolate(ngettext("%s photo was refused:", "%s photos were refused:", failed.length), [failed.length]) +
        " " + failed.map((p) => p.failed).join(" ");
    }
    if (fromOutbox) text = gettext("Sent from the outbox.") + " " + text;
    $("done-photos").textContent = text;
    box.hidden = false;
    box.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  $("report-another").addEventListener("click", () => {
    $("report-done").hidden = true;
    form.hidden = false;
    form.scrollIntoView({ behavior: "smooth", block: "start" });
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const local = checkLocally();
    if (Object.keys(local).length) { showErrors(local); return; }
    const option = select.selectedOptions[0];
    const clientId = uuid4();
    const body = {
      category: Number(select.value),
      description: description.value.trim(),
      lat: Number($("id_lat").value),
      lng: Number($("id_lng").value),
      address: $("id_address").value.trim(),
      urgent: urgent.checked,
      client_id: clientId,
    };
    if (!$("center-choice").hidden && $("id_center").value) body.center = Number($("id_center").value);
    submit.disabled = true;
    submitStatus.textContent = gettext("Sending…");
    try {
      const record = {
        client_id: clientId,
        user: userId,
        body,
        saved: Date.now(),
        label: (option ? option.textContent : "") + " · " + body.description.slice(0, 30),
        photos: [],
      };
      for (const photo of photos) record.photos.push({ type: "image/jpeg", data: await photo.blob.arrayBuffer(), done: false });
      // Kept on the phone before the first try: closing the page mid-way loses nothing.
      let kept = true;
      try { await outbox.put(record); } catch (error) { kept = false; console.warn(error); }
      const result = await exclusive(() => send(record));
      if (result.outcome === "sent") {
        resetForm();
        form.hidden = true;
        showSent(result.record, false);
        submitStatus.textContent = "";
      } else if (result.outcome === "refused") {
        await outbox.remove(clientId);
        showErrors(result.errors, true);
        submitStatus.textContent = gettext("Please correct the marked fields.");
      } else if (kept) {
        record.lastOutcome = result.outcome;
        await outbox.put(record);
        resetForm();
        submitStatus.textContent = (record.event
          ? interpolate(gettext("Event %s received, but its photos are not sent yet."), [record.event.number])
          : gettext("Not sent yet.")) + " " + OUTCOME_TEXT[result.outcome] + " " +
          gettext("It is kept on this phone and will be sent automatically.");
      } else {
        submitStatus.textContent = OUTCOME_TEXT[result.outcome] + " " + gettext("Try again.");
      }
    } catch (error) {
      console.error(error);
      submitStatus.textContent = gettext("Something went wrong. Try again.");
    } finally {
      submit.disabled = false;
      renderOutbox();
    }
  });

  renderOutbox().then(flush);
})();
