// The live dashboard: htmx swaps #dash-figures in every few seconds (hx-* attributes in
// dashboard/index.html). This keeps the reader's place across a swap: <details> they opened
// stay open, and a response that is not the dashboard (e.g. the login page after the session
// ended) is not swapped in, so the figures stay rather than vanish.
(function () {
  "use strict";
  let open = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "dash-figures") {
      return;
    }
    if (!event.detail.serverResponse.includes('id="dash-figures"')) {
      event.detail.shouldSwap = false;
      return;
    }
    open = Array.from(event.detail.target.querySelectorAll("details[id]"))
      .map(function (details) { return [details.id, details.open]; });
  });

  document.addEventListener("htmx:load", function (event) {
    if (open === null || event.detail.elt.id !== "dash-figures") {
      return;
    }
    for (const [id, isOpen] of open) {
      const details = document.getElementById(id);
      if (details) {
        details.open = isOpen;
      }
    }
    open = null;
  });
})();
