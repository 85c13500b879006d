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

  // When htmx replaces the region that held the focus (a form posted, a row redrawn), the
  // focus would fall back to the top of the page: move it into the new content — the first
  // field in error, else the element marked autofocus, else the region's own heading, else
  // its first control. htmx itself keeps the focus on an element with an id found again.
  var FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), " +
    "textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
  var focusRegion = null;

  function lostFocus() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.shouldSwap ? event.detail.target : null;
    var active = document.activeElement;
    focusRegion = target && target.id && active && active !== document.body && target.contains(active) ? target.id : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var region = focusRegion && document.getElementById(focusRegion);
    if (!region) return;
    focusRegion = null;
    if (!lostFocus()) return;
    var heading = region.querySelector(":scope > h1, :scope > h2, :scope > h3");
    var next = region.querySelector("[aria-invalid=true]") || region.querySelector("[autofocus]") || heading ||
      region.querySelector(FOCUSABLE);
    if (!next) return;
    if (next === heading && !heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    next.focus();
  });

  // A table too wide for the screen scrolls in its wrapper: with no link or field inside,
  // a keyboard user could not scroll it. Such a wrapper takes the focus, named by the caption.
  function scrollableTables(root) {
    if (!root.querySelectorAll) return;
    var wrappers = Array.prototype.slice.call(root.querySelectorAll(".table-scroll"));
    if (root.matches && root.matches(".table-scroll")) wrappers.push(root);
    wrappers.forEach(function (wrapper) {
      if (wrapper.hasAttribute("tabindex") || wrapper.querySelector(FOCUSABLE)) return;
      var caption = wrapper.querySelector("caption");
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      if (caption) wrapper.setAttribute("aria-label", caption.textContent.trim());
    });
  }

  document.addEventListener("DOMContentLoaded", function () { scrollableTables(document); });
  document.addEventListener("htmx:load", function (event) { scrollableTables(event.target); });

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
