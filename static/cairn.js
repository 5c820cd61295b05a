// Cairn: progressive enhancement only. Every page works without this file.
// - "/" focuses the search box; search-as-you-type suggestions from /api/v1/search
// - copy button for the impact announcement
// - zoom on the big dependency picture (Ctrl/Cmd + wheel, or + / - keys)
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

  var zoomBox = document.querySelector("[data-zoom]");
  if (zoomBox) {
    var svg = zoomBox.querySelector("svg");
    var scale = 1;
    var apply = function () {
      if (!svg) return;
      svg.style.transformOrigin = "0 0";
      svg.style.transform = "scale(" + scale + ")";
    };
    zoomBox.addEventListener("wheel", function (e) {
      if (!(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      scale = Math.min(4, Math.max(0.25, scale * (e.deltaY < 0 ? 1.1 : 0.9)));
      apply();
    }, { passive: false });
    document.addEventListener("keydown", function (e) {
      if (e.target && (e.target.tagName === "INPUT" || e.target.tagName === "SELECT")) return;
      if (e.key === "+" || e.key === "=") { scale = Math.min(4, scale * 1.2); apply(); }
      if (e.key === "-") { scale = Math.max(0.25, scale / 1.2); apply(); }
      if (e.key === "0") { scale = 1; apply(); }
    });
  }

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
