// The waiting page without reloading it (which would move a screen reader back to the top every few seconds):
// asks for the page the visitor wants at the page's own pace; while the answer is still the waiting room's
// (it carries a ticket), the place and the wait are updated in place and announced politely; once it is
// anything else, goes there. Without JavaScript, the <noscript> refresh of the page's head does the same.
var place = document.getElementById("waiting-room-place");
if (place) {
  var every = Number(place.getAttribute("data-refresh-seconds")) * 1000;
  var target = place.getAttribute("data-target");
  var check = async function () {
    try {
      var answer = await fetch(target, { credentials: "same-origin", headers: { accept: "text/html" } });
      if (!answer.headers.has("waiting-room-ticket")) {
        window.location.assign(target);
        return;
      }
      var fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
      ["waiting-room-position", "waiting-room-wait"].forEach(function (id) {
        var now = fresh.getElementById(id);
        var shown = document.getElementById(id);
        if (now && shown && now.textContent !== shown.textContent) shown.textContent = now.textContent;
      });
    } catch (error) {
      // Offline for a moment: the next check tries again.
    }
    window.setTimeout(check, every);
  };
  window.setTimeout(check, every);
}
