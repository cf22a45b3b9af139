// The clinic guide's confirmation windows: the button stays inactive until the box is ticked.
// A file of its own (not an inline handler) so the Content-Security-Policy can forbid inline script;
// without JavaScript the button stays active and the server refuses an unticked box.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-enables-submit]").forEach(function (box) {
    var button = box.form && box.form.querySelector("button[type=submit]");
    if (!button) return;
    var sync = function () { button.disabled = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  });
});
