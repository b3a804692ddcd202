// The calendar works without this file. It adds keyboard paging (← previous, → next,
// "t" today) when focus is not in a form field, and submits the filter form as soon as a
// choice changes. Served from /static (CSP: script-src 'self'), never inline.
(function () {
  "use strict";
  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) { window.location.href = link.href; }
  }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(tag) || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (event.key === "ArrowLeft") { follow(".cal-nav a[rel=prev]"); }
    else if (event.key === "ArrowRight") { follow(".cal-nav a[rel=next]"); }
    else if (event.key === "t") { follow(".cal-nav a.today"); }
  });
  var form = document.querySelector("form.cal-filter");
  if (form) {
    form.addEventListener("change", function () { form.submit(); });
  }
})();
