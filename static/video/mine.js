/* The household's phone page: watch my own camera live (purpose "own": no consent needed). */
(function () {
  "use strict";
  if (!window.VideoPlayer) return;
  for (const section of document.querySelectorAll(".my-camera")) {
    const watch = section.querySelector("[data-watch]");
    if (!watch) continue;
    const stop = section.querySelector("[data-stop]");
    const tile = section.querySelector(".my-player");
    let player = null;
    watch.addEventListener("click", () => {
      tile.hidden = false;
      stop.hidden = false;
      watch.hidden = true;
      if (!player) player = new VideoPlayer(tile, {purpose: "own"});
      player.play(watch.dataset.watch, {purpose: "own"});
    });
    stop.addEventListener("click", () => {
      if (player) player.stop();
      tile.hidden = true;
      stop.hidden = true;
      watch.hidden = false;
    });
  }
})();
