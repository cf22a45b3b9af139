// Starts GOV.UK Frontend's components (menu toggle, error summary focus, password reveal, double-click
// guard on buttons). The classes it needs on <body> are set here rather than by the inline script its
// template uses, which the Content-Security-Policy forbids. Without JavaScript every page still works.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
