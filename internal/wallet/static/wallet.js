// wallet.js refreshes the checkout page's expiry countdown each second.
// The page works without it: the server writes the countdown as it was
// when the page was made, and the gateway refuses a payment past expiry.
// It counts from the seconds left that the server gave (data-remaining),
// not from the datetime, so a gateway on a test clock counts right too.
(function () {
  "use strict";
  var el = document.querySelector("time.countdown[data-remaining]");
  if (!el) {
    return;
  }
  var left = parseInt(el.getAttribute("data-remaining"), 10);
  if (isNaN(left)) {
    return;
  }
  var end = Date.now() + left * 1000;
  function text(s) {
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h > 0) {
      return h + " h " + m + " min " + sec + " s";
    }
    if (m > 0) {
      return m + " min " + sec + " s";
    }
    return sec + " s";
  }
  var timer = setInterval(function () {
    var s = Math.floor((end - Date.now()) / 1000);
    if (s <= 0) {
      clearInterval(timer);
      el.textContent = "Expired: reload the page to see the result";
      return;
    }
    el.textContent = "Expires in " + text(s);
  }, 1000);
})();
