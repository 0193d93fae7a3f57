// An export's progress page: polls the job until it is written (or failed), moving the bar; then
// reloads, and the server shows the download (the file also arrives in the inbox).
(function () {
  "use strict";
  var box = document.querySelector(".export-job");
  if (!box || box.dataset.state === "done" || box.dataset.state === "failed") return;
  var bar = box.querySelector(".export-progress");
  var count = box.querySelector(".export-count");
  var delay = 1000;

  function show(job) {
    if (job.percent !== null && job.percent !== undefined) bar.value = job.percent;
    if (job.rows_total) {
      count.textContent = box.dataset.countLabel
        .replace("{done}", job.rows_done.toLocaleString())
        .replace("{total}", job.rows_total.toLocaleString());
    }
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.state === "done" || job.state === "failed") {
          window.location.reload();
          return;
        }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000); // a slow or broken network: back off, keep trying
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, 500);
})();
