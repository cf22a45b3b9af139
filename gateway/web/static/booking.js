// The booking form posted by htmx: while it is on its way the form says so (aria-busy, a short live message,
// the button held by hx-disabled-elt and GOV.UK's preventDoubleClick); when the answer's <main> is swapped in,
// GOV.UK's components are started in it and focus goes where a full page would put it (the error summary, or
// the confirmation's panel), so a keyboard or screen reader user hears what happened.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.addEventListener("htmx:beforeRequest", function (event) {
  var form = event.target.closest && event.target.closest("form#booking");
  if (!form) return;
  form.setAttribute("aria-busy", "true");
  var busy = document.getElementById("booking-busy");
  if (busy) busy.textContent = busy.getAttribute("data-busy-text");
});

// A refusal no form can show (too many bookings, a service down) answers a full error page: show its <main>
// as a page load would, rather than leaving the form as if nothing had happened.
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status >= 400 && (event.detail.xhr.getResponseHeader("content-type") || "").indexOf("text/html") === 0) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target.closest && event.target.closest("form#booking");
  if (form) form.removeAttribute("aria-busy");
});

document.addEventListener("htmx:afterSettle", function () {
  var main = document.getElementById("main-content");
  if (!main) return;
  initAll({ scope: main }); // the error summary moves focus to itself when it starts
  if (main.querySelector(".govuk-error-summary")) return;
  var panel = main.querySelector(".govuk-panel");
  if (panel) {
    panel.focus();
    window.scrollTo(0, 0);
  }
});
