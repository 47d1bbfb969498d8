// The public listing's filter form (activities/includes/listing.html).
// - Filters left empty are not sent, so a shared address names only what was chosen
//   (?province=440000, not ?q=&province=440000&type=&mode=…).
// - The rarer filters fold away on a phone (so the results start on the first screen) and
//   are shown unfolded on a wide screen.
// - Back to a listing from the browser's page cache shows the filters that page applied:
//   it kept those chosen since, and the next "Apply" applied them unseen.
(function () {
  var form = document.querySelector("form.filters");
  if (!form) return;
  var more = form.querySelector(".filters__more");
  if (more && window.matchMedia("(min-width: 760px)").matches) more.open = true;
  form.addEventListener("submit", function () {
    form.querySelectorAll("input[name], select[name]").forEach(function (field) {
      if (field.type !== "checkbox" && !field.value) field.disabled = true;
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    form.querySelectorAll("[disabled]").forEach(function (field) {
      field.disabled = false;
    });
    form.reset();
  });
})();
