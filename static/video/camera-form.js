/* The camera form's map (video/camera_form.html): a tap or a drag places the camera and fills the
   latitude and longitude inputs; coordinates typed in move the pin. The server places the point in
   its grid and center (video.services.camera_clean). */
(function () {
  "use strict";
  const mapEl = document.getElementById("camera-form-map");
  if (!mapEl || !window.L || !window.wjLocationPicker || !window.gettext) return;
  const lat = document.getElementById("id_lat");
  const lng = document.getElementById("id_lng");
  const status = document.getElementById("location-status");
  const outlinesEl = document.getElementById("camera-form-outlines");
  const picker = window.wjLocationPicker(mapEl, {
    status,
    outlines: outlinesEl ? JSON.parse(outlinesEl.textContent) : [],
    describe: (latlng, how, where) => { status.textContent = interpolate(gettext("Camera position: %s"), [where]); },
  });

  function typed() {
    const point = [Number(lat.value), Number(lng.value)];
    if (lat.value === "" || lng.value === "" || !point.every(Number.isFinite)) return null;
    if (Math.abs(point[0]) > 90 || Math.abs(point[1]) > 180) return null;
    return L.latLng(point[0], point[1]);
  }

  const start = typed();
  if (start) {
    picker.place(start, "kept");
    picker.map.setView(start, Math.max(picker.map.getZoom(), 16));
  } else {
    status.textContent = gettext("Tap the map to place the camera.");
  }
  for (const input of [lat, lng]) {
    input.addEventListener("change", () => {
      const point = typed();
      if (!point) return;
      picker.place(point, "kept");
      picker.map.panTo(point);
    });
  }
})();
