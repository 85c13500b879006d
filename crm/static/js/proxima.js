// Proxima's own browser code: small, no dependency, no inline scripts needed.
(function () {
  "use strict";

  // A failed htmx request (server error, network down) must not fail silently.
  function showError() {
    var box = document.getElementById("global-error");
    if (!box) return;
    box.textContent = document.body.dataset.errorMessage || "Error";
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }

  function hideError() {
    var box = document.getElementById("global-error");
    if (box) box.hidden = true;
  }

  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
  document.addEventListener("htmx:beforeRequest", hideError);
})();
