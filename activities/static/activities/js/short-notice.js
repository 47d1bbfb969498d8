// R8: submitting less than a week before the activity is allowed, but the editor warns.
// The server's warning (ActivityPage.get_warnings) comes only after saving, and a
// submitter's first button submits for review; this one shows beside 开始时间 as soon as
// the start is typed or picked. Loaded in every Wagtail editor (insert_editor_js), it acts
// only where the activity's start_at is. Message, threshold, time zone and the server's
// clock come from the <script> tag's data attributes (activities/wagtail_hooks.py).
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) return;
  var DAY = 24 * 60 * 60 * 1000;
  var days = parseFloat(script.dataset.shortNoticeDays);
  var message = script.dataset.shortNoticeMessage || "";
  var zone = script.dataset.timeZone || "";
  var fixedOffset = parseInt(script.dataset.utcOffset, 10) * 60 * 1000;
  // The server's clock as it rendered the page, kept running by the browser's.
  var serverNow = parseInt(script.dataset.now, 10);
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
  if (isNaN(days) || !message) return;

  function now() {
    return Date.now() + skew;
  }

  // What Django's DateTimeField takes of the date-and-time picker's "Y-m-d H:i": the date
  // with - or /, optionally a time with seconds, optionally an ISO offset.
  var PATTERN =
    /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:(?:\s+|T)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;

  var zoneParts = null;
  try {
    if (zone) {
      zoneParts = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    }
  } catch (error) {
    zoneParts = null; // an unknown zone: the offset the server sent
  }

  // How far the site's zone is ahead of UTC at the instant `epoch`.
  function offsetAt(epoch) {
    if (!zoneParts) return isNaN(fixedOffset) ? null : fixedOffset;
    var parts = {};
    zoneParts.formatToParts(new Date(epoch)).forEach(function (part) {
      parts[part.type] = parseInt(part.value, 10);
    });
    var wall = Date.UTC(
      parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second
    );
    return wall - (epoch - (((epoch % 1000) + 1000) % 1000));
  }

  // The instant a wall-clock time of the site's zone (given as if it were UTC) stands for.
  function fromZone(wall) {
    var first = offsetAt(wall);
    if (first === null) return null;
    return wall - offsetAt(wall - first);
  }

  // The start as milliseconds since the epoch, or null when it is empty or not a moment.
  function parse(value) {
    var match = PATTERN.exec(value.trim());
    if (!match) return null;
    var n = match.slice(1, 7).map(function (part) {
      return part === undefined ? 0 : parseInt(part, 10);
    });
    var wall = Date.UTC(n[0], n[1] - 1, n[2], n[3], n[4], n[5]);
    var check = new Date(wall);
    // 2026-02-30 or 24:00 roll over in Date.UTC; Django refuses them.
    if (
      check.getUTCFullYear() !== n[0] || check.getUTCMonth() !== n[1] - 1 ||
      check.getUTCDate() !== n[2] || check.getUTCHours() !== n[3] ||
      check.getUTCMinutes() !== n[4] || check.getUTCSeconds() !== n[5]
    ) {
      return null;
    }
    var offset = match[7];
    if (!offset) return fromZone(wall);
    if (offset.toUpperCase() === "Z") return wall;
    var digits = offset.replace(":", "");
    var minutes = parseInt(digits.slice(1, 3), 10) * 60 + parseInt(digits.slice(3, 5), 10);
    return wall - (digits[0] === "-" ? -1 : 1) * minutes * 60 * 1000;
  }

  // The same test as the server's: later than now, but less than the threshold ahead. A
  // start in the past has the server's own error instead.
  function isShortNotice(value) {
    var start = parse(value);
    if (start === null) return false;
    var moment = now();
    return moment < start && start < moment + days * DAY;
  }

  function describe(input, id, on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
      return x && x !== id;
    });
    if (on) ids.push(id);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function wire(input) {
    if (input.dataset.shortNoticeWired) return;
    input.dataset.shortNoticeWired = "1";
    var id = (input.id || "id_start_at") + "-short-notice";
    // The live region is there from the start, empty, so screen readers announce what
    // is put in it; Wagtail's warning box goes inside only while there is a warning.
    var region = document.createElement("div");
    region.id = id;
    region.className = "w-short-notice";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    var field = input.closest("[data-field]");
    var anchor = field && field.querySelector("[data-field-input]");
    if (anchor) anchor.insertAdjacentElement("afterend", region);
    else input.insertAdjacentElement("afterend", region);

    var shown = false;
    function update() {
      var on = isShortNotice(input.value);
      if (on === shown) return;
      shown = on;
      region.textContent = "";
      if (on) {
        var box = document.createElement("p");
        box.className = "help-block help-warning";
        var svgNS = "http://www.w3.org/2000/svg";
        var icon = document.createElementNS(svgNS, "svg");
        icon.setAttribute("class", "icon icon-warning");
        icon.setAttribute("aria-hidden", "true");
        var use = document.createElementNS(svgNS, "use");
        use.setAttribute("href", "#icon-warning");
        icon.appendChild(use);
        box.appendChild(icon);
        box.appendChild(document.createTextNode(message));
        region.appendChild(box);
      }
      describe(input, id, on);
    }

    // Typing fires input; Wagtail's date-and-time picker fires change when a day or an
    // hour is picked, and when it rewrites the text on leaving the box.
    input.addEventListener("input", update);
    input.addEventListener("change", update);
    input.addEventListener("blur", update);
    update(); // an activity opened for editing may already start within the week
  }

  function wireAll() {
    // Page editors only (snippets have no #page-edit-form), and the activity's field:
    // the start_at field panel, not any input that happens to be named so.
    document
      .querySelectorAll('form#page-edit-form [data-contentpath="start_at"] input[name="start_at"]')
      .forEach(wire);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wireAll);
  } else {
    wireAll();
  }
})();
