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

  // A form opened in a list row's panel (« À contacter en priorité »): « Annuler » closes
  // it and gives the focus back to the row. On a page of its own the link is followed.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-close-panel]");
    var panel = link && link.closest("[data-panel]");
    if (!panel) return;
    event.preventDefault();
    panel.innerHTML = "";
    var entry = panel.closest("tbody");
    var back = entry && entry.querySelector(".priority-actions a[hx-get]");
    if (back) back.focus();
  });
})();
