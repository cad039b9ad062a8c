// The main menu's fold button (narrow screens). Served from static, no inline script: without
// JavaScript the button stays hidden and the menu stays open.
(function () {
  "use strict";
  var button = document.querySelector(".nav-toggle");
  var nav = document.getElementById("mainnav");
  if (!button || !nav) return;
  button.hidden = false;
  document.documentElement.classList.add("nav-js");
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("is-open", open);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && nav.classList.contains("is-open")) {
      nav.classList.remove("is-open");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();
