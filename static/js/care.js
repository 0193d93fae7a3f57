// The record-visit form: the phone's position (if it gives one) and a client id, so that sending
// the form twice (a bad network, a double tap) records one visit.
(function () {
  "use strict";
  var form = document.querySelector("[data-care-visit]");
  if (!form) return;
  var id = form.querySelector("[name=client_id]");
  if (id && !id.value && window.crypto && crypto.randomUUID) id.value = crypto.randomUUID();
  var note = form.querySelector("[data-care-position]");
  var said = function (text) { if (note) note.textContent = text; };
  if (!navigator.geolocation) { said(gettext("No position: the visit is saved without one.")); return; }
  navigator.geolocation.getCurrentPosition(
    function (pos) {
      form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(6);
      form.querySelector("[name=lng]").value = pos.coords.longitude.toFixed(6);
      said(interpolate(gettext("Position recorded (±%s m)."), [Math.round(pos.coords.accuracy)]));
    },
    function () { said(gettext("No position: the visit is saved without one.")); },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
  );
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
  });
})();
