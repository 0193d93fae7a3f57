/* The video wall (templates/video/wall.html and the big screen, wall_screen.html): 1/4/9/16 tiles, each
   a VideoPlayer (HLS: no six-connection limit), showing the wall's saved layout or running its patrol
   tour. A tour switches the tiles by itself: it starts at the frame the server says shows now
   (frame_now, so every screen of the wall agrees) and moves on after each frame's dwell; at the end of
   each round it asks the server for the tour again (/api/walls/{id}/), so an edited tour, a camera
   gone offline or a consent withdrawn is taken into account without a reload. */
(function () {
  "use strict";
  const stateNode = document.getElementById("wall-state");
  const grid = document.getElementById("vwall");
  if (!stateNode || !grid || !window.VideoPlayer) return;
  const gettext = window.gettext || ((s) => s);
  const template = document.getElementById("vtile-template");
  let state = JSON.parse(stateNode.textContent) || {};
  const players = [];
  let tourTimer = null;

  function setTiles(n) {
    grid.dataset.tiles = String(n);
    while (players.length > n) {
      const p = players.pop();
      p.destroy();
      p.tile.remove();
    }
    while (players.length < n) {
      const tile = template.content.firstElementChild.cloneNode(true);
      tile.dataset.position = String(players.length);
      grid.appendChild(tile);
      players.push(new VideoPlayer(tile, {purpose: "patrol", stallSeconds: 8}));
    }
  }

  function show(position, camera, extra) {
    const player = players[position];
    const label = player.tile.querySelector(".vtile-name");
    if (!camera) {
      if (player.cameraId) player.stop();
      label.textContent = "";
      player.tile.classList.add("vtile-empty");
      return;
    }
    player.tile.classList.remove("vtile-empty");
    label.textContent = camera.name;
    if (player.cameraId === String(camera.id) && player.tile.dataset.state !== "refused") return;  // already on it
    player.play(camera.id, Object.assign({purpose: "patrol", reason: ""}, extra || {}));
  }

  function showLayout(layout) {
    setTiles(layout.tiles);
    const byPosition = {};
    for (const slot of layout.slots) byPosition[slot.position] = slot.camera;
    for (let i = 0; i < layout.tiles; i++) show(i, byPosition[i]);
  }

  function stepLabel(index, total) {
    const node = document.querySelector("#wall-now [data-tour-step]");
    if (node) node.textContent = interpolate(gettext("frame %(n)s of %(total)s"), {n: index + 1, total: total});
  }

  function interpolate(text, values) {
    if (window.interpolate) return window.interpolate(text, values, true);
    return text.replace(/%\((\w+)\)s/g, (_, k) => values[k]);
  }

  function runTour(tour) {
    clearTimeout(tourTimer);
    setTiles(tour.tiles);
    grid.dataset.tour = String(tour.id);
    const frames = tour.frames || [];
    if (!frames.length) {
      for (let i = 0; i < tour.tiles; i++) show(i, null);
      stepLabel(-1, 0);
      tourTimer = setTimeout(refresh, 30000);
      return;
    }
    let index = Math.min(tour.frame_now ? tour.frame_now.index : 0, frames.length - 1);
    let left = tour.frame_now ? tour.frame_now.seconds_left : frames[index].dwell;
    const showFrame = () => {
      const frame = frames[index];
      grid.dataset.frame = String(index);
      stepLabel(index, frames.length);
      for (let i = 0; i < tour.tiles; i++) show(i, frame.cameras[i], {tour: tour.id});
    };
    const next = () => {
      index += 1;
      if (index >= frames.length) {
        refresh();  // a new round: the server's tour again (it resumes at the frame it says)
        return;
      }
      showFrame();
      tourTimer = setTimeout(next, frames[index].dwell * 1000);
    };
    showFrame();
    tourTimer = setTimeout(next, Math.max(0.5, left) * 1000);
  }

  async function refresh() {
    try {
      const response = await fetch(`/api/walls/${state.id}/`, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (!data.tour) {
        window.location.reload();  // the wall shows a layout now
        return;
      }
      if (data.frames) {
        state.tour = {
          id: data.tour.id || data.tour,
          name: data.tour.name || (state.tour && state.tour.name) || "",
          tiles: data.tour.tiles || (state.tour && state.tour.tiles) || 4,
          frames: data.frames.map((f) => ({cameras: f.cameras, dwell: f.dwell})),
          frame_now: data.frame_now,
        };
        state.layout = null;
      }
    } catch (e) {
      // Keep going with what we have: an unattended screen must not stop on a network blip.
      if (state.tour) state.tour.frame_now = {index: 0, seconds_left: state.tour.frames.length ? state.tour.frames[0].dwell : 30};
    }
    start();
  }

  function start() {
    if (state.tour) runTour(state.tour);
    else if (state.layout) showLayout(state.layout);
    else setTiles(0);
  }

  // --- editing a layout (the wall page only) ---------------------------------------------------------
  const form = document.getElementById("layout-form");
  if (form) {
    const tilesSelect = document.getElementById("layout-tiles");
    const slots = Array.from(form.querySelectorAll(".slot"));
    const syncSlots = () => {
      const n = Number(tilesSelect.value);
      slots.forEach((slot, i) => {
        slot.hidden = i >= n;
        slot.querySelector("select").disabled = i >= n;
      });
    };
    if (state.layout) {
      for (const slot of state.layout.slots) {
        const select = form.querySelector(`select[name="slot_${slot.position}"]`);
        if (select) select.value = String(slot.camera.id);
      }
    }
    tilesSelect.addEventListener("change", syncSlots);
    syncSlots();
    // Drag a camera from the list onto a tile's picker.
    for (const item of document.querySelectorAll("#camera-pick [draggable]")) {
      item.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", item.dataset.camera));
    }
    for (const slot of slots) {
      slot.addEventListener("dragover", (e) => { e.preventDefault(); slot.classList.add("drop"); });
      slot.addEventListener("dragleave", () => slot.classList.remove("drop"));
      slot.addEventListener("drop", (e) => {
        e.preventDefault();
        slot.classList.remove("drop");
        slot.querySelector("select").value = e.dataTransfer.getData("text/plain");
      });
    }
  }
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }

  // The big screen's clock.
  const clock = document.getElementById("vscreen-clock");
  if (clock) {
    const tick = () => { clock.textContent = new Date().toLocaleString("zh-CN", {hour12: false}); };
    tick();
    setInterval(tick, 1000);
  }

  window.videoWall = {players: players, state: () => state};
  start();
})();
