// Polls the import job's status and moves the progress bar; reloads the page when the job
// has finished (the page shows the result). Without JavaScript a meta refresh does the same.
(function () {
  "use strict";
  var section = document.querySelector("[data-status-url]");
  if (!section) { return; }
  var bar = document.getElementById("import-progress");
  var text = document.getElementById("import-progress-text");
  function poll() {
    fetch(section.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (status) {
        if (status.finished) { window.location.reload(); return; }
        bar.max = status.total || 1;
        bar.value = status.done;
        bar.textContent = status.percent + "%";
        text.textContent = status.phase_label + (status.total ? ": " + status.done + " / " + status.total : "") +
          " (" + status.percent + "%)";
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
