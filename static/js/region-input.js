/* Region boxes (wilayah/_region_input.html): HTMX fills the list of suggestions; this picks one.
   Picking writes the suggestion's label ("Desa Sukamaju, Kec. Soreang") into the box, which the
   server resolves back to one region, and fires `change` so filter forms that refresh on change
   do so. Loaded once per page however many boxes it has. */
(function () {
  if (window.slrtRegionInput) return;
  window.slrtRegionInput = true;

  function wrap(el) { return el && el.closest ? el.closest(".region-input") : null; }
  function box(w) { return w.querySelector("input[role=combobox]"); }
  function options(w) { return Array.prototype.slice.call(w.querySelectorAll("[role=option]")); }
  function close(w) {
    w.querySelector(".region-suggest").innerHTML = "";
    box(w).setAttribute("aria-expanded", "false");
  }
  function pick(option) {
    var w = wrap(option), input = box(w);
    input.value = option.getAttribute("data-label");
    close(w);
    input.focus();
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // Pressing on a suggestion must not blur the box first: the blur would fire `change` with the
  // half-typed text and refresh the list before the pick does.
  document.addEventListener("mousedown", function (e) {
    if (e.target.closest && e.target.closest(".region-suggest [role=option]")) e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    var option = e.target.closest ? e.target.closest(".region-suggest [role=option]") : null;
    if (option) { e.preventDefault(); pick(option); return; }
    document.querySelectorAll(".region-input").forEach(function (w) { if (!w.contains(e.target)) close(w); });
  });

  document.addEventListener("keydown", function (e) {
    var w = wrap(e.target);
    if (!w) return;
    var list = options(w), at = list.indexOf(e.target);
    if (e.key === "Escape") { close(w); box(w).focus(); return; }
    if (e.key === "ArrowDown" && list.length) { e.preventDefault(); list[Math.min(at + 1, list.length - 1)].focus(); }
    if (e.key === "ArrowUp" && at >= 0) { e.preventDefault(); (at === 0 ? box(w) : list[at - 1]).focus(); }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    var w = wrap(e.target);
    if (w && e.target.classList.contains("region-suggest")) {
      box(w).setAttribute("aria-expanded", options(w).length ? "true" : "false");
    }
  });
})();
