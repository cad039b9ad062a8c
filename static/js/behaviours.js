// Small behaviours that would otherwise be inline script, which the Content-Security-Policy
// forbids (no inline script, no eval, no style attributes): markup declares them with data-*.
(function () {
  "use strict";
  // <select data-autosubmit>: picking a value sends its form (language switcher, filters).
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) el.form.submit();
  });
  // <button data-remove-row>: removes the table row it sits in (rule editor).
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-remove-row]");
    if (button) {
      var row = button.closest("tr");
      if (row) row.remove();
    }
  });
  // hx-get with data-count-param="name" data-count-selector="css": sends how many elements
  // match (the intake's "add a need row" asks for row number i).
  document.addEventListener("htmx:configRequest", function (e) {
    var el = e.detail.elt;
    if (el && el.dataset && el.dataset.countParam) {
      e.detail.parameters[el.dataset.countParam] = document.querySelectorAll(el.dataset.countSelector).length;
    }
  });
  // data-width="42": a bar's width in percent, set through the CSSOM (allowed by the policy).
  function widths(root) {
    var bars = (root.querySelectorAll ? root : document).querySelectorAll("[data-width]");
    for (var i = 0; i < bars.length; i++) {
      var n = parseFloat(bars[i].getAttribute("data-width"));
      if (!isNaN(n)) bars[i].style.width = Math.max(0, Math.min(100, n)) + "%";
    }
  }
  widths(document);
  document.addEventListener("htmx:load", function (e) { widths(e.target.parentNode || document); });
})();
