// Keeps the "Overdue right now" table of /audit fresh: every 30 s it asks
// /api/v1/cadence/overdue again and rebuilds the table body. The page works
// without it (the server rendered the table); it only spares a reload.
(function () {
  "use strict";

  var table = document.getElementById("overdue-table");
  if (!table || !window.fetch) return;
  var src = table.getAttribute("data-src");
  var query = table.getAttribute("data-query") || "";
  var status = document.getElementById("overdue-status");
  var count = document.getElementById("overdue-count");
  var none = document.getElementById("overdue-none");
  var every = 30000;

  function duration(sec) {
    var neg = sec < 0 ? "−" : "";
    sec = Math.abs(sec);
    if (sec < 60) return neg + sec + " s";
    if (sec < 3600) return neg + Math.floor(sec / 60) + " min";
    if (sec < 86400) {
      var h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60);
      return neg + h + " h" + (m ? " " + m + " min" : "");
    }
    var d = Math.floor(sec / 86400), hh = Math.floor((sec % 86400) / 3600);
    return neg + d + " d" + (hh ? " " + hh + " h" : "");
  }

  var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function datetime(iso) {
    var t = new Date(iso);
    if (isNaN(t)) return iso;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return t.getUTCDate() + " " + months[t.getUTCMonth()] + " " + t.getUTCFullYear() + " " +
      two(t.getUTCHours()) + ":" + two(t.getUTCMinutes()) + " UTC";
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (text !== null) td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  // incidentCells adds an incident's first two cells to tr: its link with
  // its title under it, and its severity (as the server renders them).
  function incidentCells(tr, o) {
    var first = cell(tr, null);
    var a = document.createElement("a");
    a.href = "/incidents/" + encodeURIComponent(o.incident_id) + (query ? "?" + query : "");
    a.textContent = o.incident_id;
    first.appendChild(a);
    if (o.title) {
      var t = document.createElement("div");
      t.className = "muted small";
      t.title = o.title;
      t.textContent = o.title;
      first.appendChild(t);
    }
    var sev = document.createElement("span");
    sev.className = "sev sev-" + o.severity;
    sev.textContent = o.severity;
    cell(tr, null).appendChild(sev);
  }

  function render(list) {
    var body = document.createElement("tbody");
    list.sort(function (a, b) { return b.silence_seconds - a.silence_seconds; });
    list.forEach(function (o) {
      var tr = document.createElement("tr");
      incidentCells(tr, o);
      cell(tr, datetime(o.last_update_at));
      cell(tr, duration(o.silence_seconds), "num bad");
      cell(tr, duration(o.target_seconds), "num");
      cell(tr, duration(o.silence_seconds - o.target_seconds), "num bad");
      body.appendChild(tr);
    });
    table.replaceChild(body, table.tBodies[0]);
    if (count) count.textContent = String(list.length);
    if (none) none.classList.toggle("hidden", list.length > 0);
  }

  // The "Next updates due" table (open incidents not overdue, the most
  // urgent first), rebuilt from /api/v1/cadence/due as the server renders it.
  var dueTable = document.getElementById("due-table");
  var dueCount = document.getElementById("due-count");
  var dueMax = dueTable ? parseInt(dueTable.getAttribute("data-max"), 10) || 10 : 10;

  // goSeconds reads a Go duration ("5m0s", "1h0m0s") as seconds.
  function goSeconds(d) {
    var m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(d || "");
    if (!m) return 0;
    return (parseInt(m[1] || "0", 10) * 3600) + (parseInt(m[2] || "0", 10) * 60) + Math.floor(parseFloat(m[3] || "0"));
  }

  function renderDue(list, policy) {
    if (!dueTable) return;
    var open = list.filter(function (d) { return !d.overdue; });
    var body = document.createElement("tbody");
    var grace = goSeconds(policy && policy.promise_grace);
    open.slice(0, dueMax).forEach(function (d) {
      var tr = document.createElement("tr");
      incidentCells(tr, d);
      cell(tr, datetime(d.last_update_at), "nowrap");
      cell(tr, datetime(d.due_at), "nowrap");
      var late = d.seconds_left < 0;
      cell(tr, late ? duration(-d.seconds_left) + " ago" : "in " + duration(d.seconds_left), late ? "num bad" : "num");
      var why = d.by === "promise"
        ? "the time an update promised" + (late ? " (the promise breaks " + duration(grace) + " after it)" : "")
        : d.target_seconds > 0 ? "the " + d.severity + " cadence target of " + duration(d.target_seconds)
        : "no cadence target is set for " + d.severity;
      cell(tr, why);
      body.appendChild(tr);
    });
    dueTable.replaceChild(body, dueTable.tBodies[0]);
    dueTable.setAttribute("data-refreshed", String(Date.now()));
    if (dueCount) dueCount.textContent = String(open.length);
    var more = Math.max(0, open.length - dueMax);
    var moreP = document.getElementById("due-more"), moreN = document.getElementById("due-more-n");
    if (moreN) moreN.textContent = String(more);
    if (moreP) moreP.classList.toggle("hidden", more === 0);
    var wrap = document.getElementById("due-wrap"), none = document.getElementById("due-none");
    if (wrap) wrap.classList.toggle("hidden", open.length === 0);
    if (none) none.classList.toggle("hidden", open.length > 0);
  }

  function refreshDue() {
    if (!dueTable) return;
    fetch("/api/v1/cadence/due", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (body) { renderDue(body.due || [], body.policy); })
      .catch(function () { /* the overdue status line reports a failing API */ });
  }

  function refresh() {
    refreshDue();
    fetch(src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (body) {
        var list = Array.isArray(body) ? body : (body.overdue || body.incidents || []);
        render(list);
        if (status) status.textContent = "Updated " + new Date().toLocaleTimeString() + "; refreshes every 30 s.";
      })
      .catch(function (e) {
        if (status) status.textContent = "Could not refresh (" + e.message + "); retrying in 30 s.";
      });
  }

  window.setInterval(refresh, every);
  // Refresh at once when the tab comes back into view, or on request (the
  // browser test asks with this event instead of waiting 30 s).
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh();
  });
  document.addEventListener("trustlens:refresh-overdue", refresh);
})();
