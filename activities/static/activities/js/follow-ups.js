// R11: the editor shows a yes/no flag's follow-ups (categories, partner rows, the booking
// link) only while the flag is ticked, as the guide asks ("如纳入请选择'是'并勾选…").
// They were always shown, so a unit ticked categories or typed a link under a "no", and the
// save then dropped them (a "no" keeps none of its follow-ups: ActivityPageForm.clean).
// Loaded in every Wagtail editor (insert_editor_js); acts only where the flags are. The
// flag -> follow-up names come from the <script> tag (activities.forms.FOLLOW_UPS).
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) return;
  var followUps;
  try {
    followUps = JSON.parse(script.dataset.followUps || "{}");
  } catch (error) {
    return;
  }

  function wrapperOf(name) {
    var field = document.querySelector('[data-contentpath="' + name + '"]');
    if (field) return field.closest("[data-field-wrapper]") || field;
    // An inline panel of rows: its forms' container, inside the panel's nested wrapper.
    var rows = document.getElementById("id_" + name + "-FORMS");
    return rows ? rows.closest(".w-panel__wrapper") || rows : null;
  }

  function wire() {
    Object.keys(followUps).forEach(function (flagName) {
      var flag = document.getElementById("id_" + flagName);
      var wrapper = wrapperOf(followUps[flagName]);
      if (!flag || !wrapper || flag.type !== "checkbox") return;
      if (!wrapper.id) wrapper.id = "follow-up-" + followUps[flagName];
      flag.setAttribute("aria-controls", wrapper.id);
      function show() {
        wrapper.hidden = !flag.checked;
        flag.setAttribute("aria-expanded", flag.checked ? "true" : "false");
      }
      flag.addEventListener("change", show);
      show();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
