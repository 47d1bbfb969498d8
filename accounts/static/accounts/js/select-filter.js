// A text box above a long <select data-filterable> that hides options not containing the
// typed text, so an organization can be found by any part of its name.
(function () {
  "use strict";
  function enhance(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-filter";
    // The server gives the wording in the page's language (data-filter-placeholder); the
    // fallback names at least the list it filters, by that list's own label.
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    var name = select.dataset.filterPlaceholder || (label ? label.textContent.trim() : "");
    if (select.dataset.filterPlaceholder) box.placeholder = name;
    if (name) box.setAttribute("aria-label", name);
    if (select.id) {
      box.id = select.id + "_filter";
      box.setAttribute("aria-controls", select.id);
    }
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var text = box.value.trim();
      var first = null;
      Array.prototype.forEach.call(select.querySelectorAll("option"), function (option) {
        var match = !text || option.value === "" || option.textContent.indexOf(text) !== -1;
        option.hidden = !match;
        if (match && option.value && !first) first = option;
      });
      if (text && first && (!select.value || select.selectedOptions[0].hidden)) {
        select.value = first.value;
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-filterable]").forEach(enhance);
  });
})();
