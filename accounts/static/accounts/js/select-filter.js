// A text box above a long <select data-filterable> that hides options not containing the
// typed text, so an organization can be found by any part of its name.
(function () {
  "use strict";
  function enhance(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-filter";
    box.placeholder = select.dataset.filterPlaceholder || "输入关键字筛选 / type to filter";
    box.setAttribute("aria-label", box.placeholder);
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
