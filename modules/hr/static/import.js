// Polls the import job's status and moves the progress bar; reloads the page when the job
// has finished (the page shows the result). Without JavaScript a meta refresh does the same.
// Also keeps the confirmation form from being submitted twice.
(function () {
  "use strict";
  // A double click must not send the confirmation twice (the server refuses the second
  // with 409 anyway): the first submit disables the form's buttons.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-submit-once]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitted")) { event.preventDefault(); return; }
      form.setAttribute("data-submitted", "1");
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
        button.disabled = true;
        button.setAttribute("aria-disabled", "true");
      });
    });
  });
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
