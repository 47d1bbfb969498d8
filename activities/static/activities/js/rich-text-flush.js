// Draftail copies a rich-text field into its hidden input 250 ms after the last change (its
// stateSaveInterval). A save or submit pressed sooner sent the field as it was before: the
// last words typed into 活动详情 were lost without a word. A form sent within that time is
// held until Draftail has written the field, then sent again with the same button (its
// name says save, submit or approve). Draftail writes the field itself: no copy of its
// serialisation here. Loaded in every Wagtail editor (insert_editor_js).
(function () {
  "use strict";

  var SETTLED_MS = 300; // Draftail's 250 ms, and a margin for its re-render
  var lastEdit = 0;
  var EDITS = ["input", "keydown", "paste", "cut", "drop", "mousedown"];

  EDITS.forEach(function (type) {
    document.addEventListener(
      type,
      function (event) {
        if (event.target.closest && event.target.closest("[data-draftail-editor-wrapper]")) {
          lastEdit = Date.now();
        }
      },
      true,
    );
  });

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!form.querySelector || !form.querySelector("input[data-draftail-input]")) return;
      var wait = lastEdit + SETTLED_MS - Date.now();
      if (wait <= 0) return;
      event.preventDefault();
      if (form.dataset.richTextPending) return;
      form.dataset.richTextPending = "1";
      var submitter = event.submitter || null;
      window.setTimeout(function () {
        delete form.dataset.richTextPending;
        if (submitter && submitter.form === form) {
          form.requestSubmit(submitter);
        } else {
          form.requestSubmit();
        }
      }, wait);
    },
    true,
  );
})();
