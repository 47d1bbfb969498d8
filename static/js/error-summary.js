// A failed form's error summary (templates/includes/form_error_summary.html): it takes the
// focus as the page loads (autofocus covers browsers without scripts), and a link to a field
// scrolls that field's label into view too, as a bare #id would hide it just above the top
// of the window. A file, not an inline script: the public site's CSP allows no inline script.
(function () {
  document.querySelectorAll(".error-summary").forEach(function (summary, index) {
    if (index === 0) summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      var label = document.querySelector("label[for='" + field.id + "']");
      event.preventDefault();
      (label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  });
})();
