// The composer's live preview: posts the form (without the image) to the preview
// endpoint as you type and shows each channel's text, lengths and read time. Text is
// put in with textContent only, never as HTML. Without this script the "Xem trước"
// button shows the same previews from the server.
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  var box = document.getElementById("previews");
  if (!form || !box || !window.fetch) { return; }
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var asked = 0;
  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }

  function card(ch) {
    var art = el("article", null, "pv");
    art.setAttribute("data-channel", ch.channel);
    var head = el("h3", ch.channel + " ");
    head.appendChild(el("small", "(" + ch.kind + ")"));
    art.appendChild(head);
    if (ch.problem) { art.appendChild(el("p", ch.problem, "over")); }
    var title = el("p");
    title.appendChild(el("strong", ch.title));
    art.appendChild(title);
    art.appendChild(el("pre", ch.text));
    if (ch.measures.length === 0) { art.appendChild(el("p", box.dataset.tNoLimit)); }
    ch.measures.forEach(function (m) {
      art.appendChild(el("p", box.dataset.tLength + " (" + m.part + "): " + m.length + " / " + m.limit,
                         m.ok ? "fits" : "over"));
    });
    if (ch.duration) {
      var line = box.dataset.tDuration + ": " + ch.duration;
      if (ch.slot_seconds) { line += " / " + box.dataset.tSlot + " " + (ch.slot_seconds / 60) + "′"; }
      art.appendChild(el("p", line, ch.ok ? "fits" : "over"));
    }
    return art;
  }

  function show(data) {
    box.replaceChildren();
    Object.keys(data.problems || {}).forEach(function (field) {
      box.appendChild(el("p", data.problems[field], "field-error"));
    });
    data.channels.forEach(function (ch) { box.appendChild(card(ch)); });
  }

  function refresh() {
    var body = new FormData(form);
    body.delete("image");
    body.set("action", "preview");
    var mine = ++asked;
    fetch(url, {method: "POST", body: body, credentials: "same-origin",
                headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) { if (data && mine === asked) { show(data); } })
      .catch(function () { /* the server-side button still works */ });
  }

  // Offer only the kinds every checked channel carries (the server refuses the others).
  function syncKinds() {
    var checked = form.querySelectorAll("input[name=channels]:checked");
    var radios = form.querySelectorAll("input[name=kind]");
    radios.forEach(function (radio) {
      var ok = true;
      checked.forEach(function (box) {
        if ((box.getAttribute("data-kinds") || "").split(" ").indexOf(radio.value) < 0) { ok = false; }
      });
      radio.disabled = !ok;
    });
    var current = form.querySelector("input[name=kind]:checked");
    if (current && current.disabled) {
      var first = form.querySelector("input[name=kind]:not(:disabled)");
      if (first) { first.checked = true; }
    }
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", function () { syncKinds(); later(); });
  syncKinds();
})();
