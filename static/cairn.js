// Cairn: progressive enhancement only. Every page works without this file.
// - "/" focuses the search box; search-as-you-type suggestions from /api/v1/search
// - copy button for the impact announcement
// - zoom on the big dependency picture (buttons, Ctrl/Cmd + wheel, or the + - 0 keys)
// - a system's edges lit up when it is pointed at or focused in a picture
// - a notice when the catalog changed since the page was loaded (the revision /readyz names)
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  var list = document.getElementById("suggest");

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (e.key === "/" && !typing && input) {
      e.preventDefault();
      input.focus();
      input.select();
    }
  });

  function clear() {
    if (!list) return;
    while (list.firstChild) list.removeChild(list.firstChild);
    list.hidden = true;
  }

  // Snippets are plain text with the matches as [start, end) ranges of code points: text
  // nodes and <b> elements, never innerHTML, so nothing in them is interpreted as markup.
  function appendSnippet(parent, text, highlights) {
    var chars = Array.from(text), at = 0;
    (highlights || []).forEach(function (h) {
      if (h[0] < at || h[1] <= h[0]) return;
      if (h[0] > at) parent.appendChild(document.createTextNode(chars.slice(at, h[0]).join("")));
      var b = document.createElement("b");
      b.textContent = chars.slice(h[0], h[1]).join("");
      parent.appendChild(b);
      at = h[1];
    });
    if (at < chars.length) parent.appendChild(document.createTextNode(chars.slice(at).join("")));
  }

  if (input && list && window.fetch) {
    var timer = null, seq = 0, active = -1;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { clear(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch("/api/v1/search?limit=8&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (!data || mine !== seq) return;
            clear();
            active = -1;
            data.results.forEach(function (r) {
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = r.url;
              var kind = document.createElement("span");
              kind.className = "pill kind";
              kind.textContent = r.kind;
              a.appendChild(kind);
              a.appendChild(document.createTextNode(" " + r.title));
              if (r.snippet) {
                var s = document.createElement("span");
                s.className = "snip";
                appendSnippet(s, r.snippet, r.highlights);
                a.appendChild(s);
              }
              li.appendChild(a);
              list.appendChild(li);
            });
            var more = document.createElement("li");
            var all = document.createElement("a");
            all.href = "/search?q=" + encodeURIComponent(q);
            all.textContent = data.total + " result" + (data.total === 1 ? "" : "s") + " — see all";
            more.appendChild(all);
            list.appendChild(more);
            list.hidden = false;
          })
          .catch(function () {});
      }, 120);
    });
    input.addEventListener("keydown", function (e) {
      var links = list.querySelectorAll("a");
      if (list.hidden || !links.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (active >= 0) links[active].classList.remove("active");
        active = (active + (e.key === "ArrowDown" ? 1 : links.length - 1)) % links.length;
        links[active].classList.add("active");
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        window.location = links[active].href;
      } else if (e.key === "Escape") {
        // Closes the suggestions and keeps the query (a search box's own Escape empties it).
        e.preventDefault();
        clear();
      }
    });
    // Enter on an empty box searches for nothing: stay.
    if (input.form) {
      input.form.addEventListener("submit", function (e) {
        if (!input.value.trim()) {
          e.preventDefault();
          input.focus();
        }
      });
    }
    document.addEventListener("click", function (e) {
      if (!list.contains(e.target) && e.target !== input) clear();
    });
  }

  // Copy buttons: the clipboard API where the page is a secure context, else the older
  // select-and-copy (plain http on a host name has no navigator.clipboard).
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (copy) {
    var ta = document.getElementById(copy.getAttribute("data-copy"));
    if (!ta) return;
    var label = copy.textContent;
    var done = function (ok) {
      copy.textContent = ok ? "Copied" : "Select the text and copy it";
      setTimeout(function () { copy.textContent = label; }, 1500);
    };
    copy.hidden = false;
    copy.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(ta.value).then(function () { done(true); }, function () { done(false); });
        return;
      }
      ta.focus();
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    });
  });

  // Zoom on the big picture: the buttons (shown only when this runs), Ctrl/Cmd + wheel, and the
  // + - 0 keys. The picture's width and height change, so its box scrolls over the whole of it.
  var zoomBox = document.querySelector("[data-zoom]");
  var zoomSvg = zoomBox && zoomBox.querySelector("svg");
  if (zoomSvg && zoomSvg.getAttribute("width")) {
    var w0 = parseFloat(zoomSvg.getAttribute("width"));
    var h0 = parseFloat(zoomSvg.getAttribute("height"));
    var scale = 1;
    var controls = document.querySelector("[data-zoom-controls]");
    var level = document.querySelector("[data-zoom-level]");
    var zoomTo = function (s) {
      s = Math.min(4, Math.max(0.05, s));
      // Keep the point at the centre of the box where it is.
      var cx = (zoomBox.scrollLeft + zoomBox.clientWidth / 2) / scale;
      var cy = (zoomBox.scrollTop + zoomBox.clientHeight / 2) / scale;
      scale = s;
      zoomSvg.setAttribute("width", String(Math.round(w0 * scale)));
      zoomSvg.setAttribute("height", String(Math.round(h0 * scale)));
      zoomBox.setAttribute("data-scale", scale.toFixed(3));
      zoomBox.scrollLeft = cx * scale - zoomBox.clientWidth / 2;
      zoomBox.scrollTop = cy * scale - zoomBox.clientHeight / 2;
      if (level) level.textContent = Math.round(scale * 100) + "%";
    };
    var fit = function () {
      var pad = 18;
      var avail = Math.max(120, window.innerHeight * 0.8 - pad);
      zoomTo(Math.min(1, (zoomBox.clientWidth - pad) / w0, avail / h0));
    };
    if (controls) {
      controls.hidden = false;
      controls.addEventListener("click", function (e) {
        var b = e.target.closest ? e.target.closest("button[data-zoom-step]") : null;
        if (!b) return;
        var step = b.getAttribute("data-zoom-step");
        if (step === "in") zoomTo(scale * 1.25);
        else if (step === "out") zoomTo(scale / 1.25);
        else if (step === "fit") fit();
        else zoomTo(1);
      });
    }
    zoomBox.addEventListener("wheel", function (e) {
      if (!(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      zoomTo(scale * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
    }, { passive: false });
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "+" || e.key === "=") zoomTo(scale * 1.25);
      if (e.key === "-") zoomTo(scale / 1.25);
      if (e.key === "0") zoomTo(1);
    });
  }

  // Pointing at a system in a picture, or tabbing to it, lights up its own edges and the
  // domain bundles it is part of (their data-ends name its data-node) and dims the rest.
  Array.prototype.forEach.call(document.querySelectorAll(".picture svg.cg"), function (svg) {
    var lit = [];
    var off = function () {
      lit.forEach(function (el) { el.classList.remove("cg-on"); });
      lit = [];
      svg.classList.remove("cg-lit");
    };
    var nodeOf = function (t) {
      if (!t || !t.closest) return null;
      var n = t.closest(".cg-node[data-node]");
      if (n) return n;
      var a = t.closest("a");
      return a && svg.contains(a) ? a.querySelector(".cg-node[data-node]") : null;
    };
    var on = function (n) {
      off();
      var id = n.getAttribute("data-node");
      if (!/^[0-9]+$/.test(id)) return;
      lit = Array.prototype.slice.call(svg.querySelectorAll("[data-ends~=\"" + id + "\"]"));
      lit.push(n);
      lit.forEach(function (el) { el.classList.add("cg-on"); });
      svg.classList.add("cg-lit");
    };
    svg.addEventListener("mouseover", function (e) {
      var n = nodeOf(e.target);
      if (n) on(n);
    });
    svg.addEventListener("mouseout", function (e) {
      if (!nodeOf(e.relatedTarget)) off();
    });
    svg.addEventListener("focusin", function (e) {
      var n = nodeOf(e.target);
      if (n) on(n);
    });
    svg.addEventListener("focusout", off);
  });

  // The catalog changed since this page was built: say so, once, with a way to reload. The
  // page's revision is on <body>; /readyz names the served one. Asked every 30 s while the
  // page is visible, and when it becomes visible or gets the focus again.
  var noticed = false;
  function checkRevision() {
    var shown = document.body.getAttribute("data-revision");
    if (!shown || noticed || document.hidden || !window.fetch) return;
    fetch("/readyz", { cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (v) {
      if (!v || !v.revision || v.revision === shown || noticed) return;
      noticed = true;
      var p = document.createElement("p");
      p.className = "notice stale reload-notice";
      p.setAttribute("role", "status");
      p.appendChild(document.createTextNode("The catalog changed since this page was loaded. "));
      var a = document.createElement("a");
      a.href = window.location.href;
      a.textContent = "Reload the page";
      p.appendChild(a);
      var main = document.getElementById("main");
      if (main) main.insertBefore(p, main.firstChild);
    }).catch(function () { /* the server is restarting: ask again later */ });
  }
  if (document.body.hasAttribute("data-revision")) {
    window.setInterval(checkRevision, 30000);
    document.addEventListener("visibilitychange", checkRevision);
    window.addEventListener("focus", checkRevision);
  }
})();
