// Province → city → county selects: when a level changes, refill the levels below it
// with that region's children. Works for forms rendered at load and for Wagtail panels.
(function () {
  "use strict";

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  function fill(select, regions) {
    var keep = select.value;
    var blank = select.querySelector("option[value='']");
    select.innerHTML = "";
    var empty = document.createElement("option");
    empty.value = "";
    empty.textContent = blank ? blank.textContent : "---------";
    select.appendChild(empty);
    regions.forEach(function (region) {
      var option = document.createElement("option");
      option.value = region.code;
      option.textContent = region.name;
      if (region.code === keep) option.selected = true;
      select.appendChild(option);
    });
    select.disabled = regions.length === 0;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // Arrowing through the provinces asks once per province, and the answers may come back
  // in any order: only the answer for the region now chosen above fills the list (湖南's
  // cities had shown under 广东省). The earlier request is also cancelled.
  var pending = new WeakMap();

  function load(select, parentCode) {
    var code = parentCode || "";
    select.dataset.optionsFor = code;
    var previous = pending.get(select);
    if (previous) previous.abort();
    pending.delete(select);
    if (!code) {
      fill(select, []);
      return;
    }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    if (controller) pending.set(select, controller);
    function current() {
      return select.dataset.optionsFor === code && (!controller || !controller.signal.aborted);
    }
    var url = select.dataset.regionUrl + "?parent=" + encodeURIComponent(code) +
      "&level=" + encodeURIComponent(select.dataset.regionLevel);
    fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (current()) fill(select, data.results || []); })
      .catch(function () { if (current()) fill(select, []); })
      .then(function () { if (pending.get(select) === controller) pending.delete(select); });
  }

  // A county falls back to the province's own counties (municipal districts and
  // county-level units directly under a province) when no city is chosen.
  function parentCode(parent, province) {
    return parent.value || (province ? province.value : "");
  }

  // After Back, the browser restores the chosen province and city but not the options
  // fetched for them: a list whose options (data-options-for, from the server) belong to
  // another region than the one now chosen above it is refilled.
  function refresh(select) {
    var parent = byId(select.dataset.regionParent);
    if (!parent || select.dataset.optionsFor === undefined) return;
    var code = parentCode(parent, byId(select.dataset.regionProvince));
    if (code !== select.dataset.optionsFor) load(select, code);
  }

  function wire(select) {
    if (select.dataset.regionWired) return;
    select.dataset.regionWired = "1";
    var parent = byId(select.dataset.regionParent);
    var province = byId(select.dataset.regionProvince);
    if (!parent) return;
    parent.addEventListener("change", function () {
      load(select, parentCode(parent, province));
    });
    if (province && province !== parent) {
      province.addEventListener("change", function () {
        if (!parent.value) load(select, province.value);
      });
    }
  }

  function wireAll(root) {
    var selects = (root || document).querySelectorAll("select[data-region-level]");
    selects.forEach(wire);
    selects.forEach(refresh);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { wireAll(); });
  } else {
    wireAll();
  }
  document.addEventListener("w-formset:added", function (event) { wireAll(event.target); });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("select[data-region-level]").forEach(refresh);
  });
})();
