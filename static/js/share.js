// The detail page's share button: the phone's own share sheet where there is one, else
// the address copied. Without a script the button stays hidden, and the QR code below it
// still opens the page on a phone.
(function () {
  document.querySelectorAll("[data-share]").forEach(function (button) {
    var status = document.getElementById(button.getAttribute("aria-describedby"));
    var url = button.dataset.shareUrl;
    var title = button.dataset.shareTitle;
    if (!navigator.share && !(navigator.clipboard && window.isSecureContext)) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.share) {
        navigator.share({ title: title, url: url }).catch(function () {});
        return;
      }
      navigator.clipboard.writeText(url).then(
        function () {
          status.textContent = button.dataset.copied;
        },
        function () {
          status.textContent = button.dataset.copyFailed;
        }
      );
    });
  });
})();
