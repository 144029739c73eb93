// The live debugger: poll the console's event search every second, draw the rows, and show
// one event's stored entity, enrichment, violations and profile when a row is chosen.
(function () {
  var form = document.getElementById("debug-filters");
  var body = document.querySelector("#debug-events tbody");
  var status = document.getElementById("debug-status");
  var skipped = document.getElementById("debug-skipped");
  var empty = document.getElementById("debug-empty");
  var pause = document.getElementById("debug-pause");
  var paused = false, timer = null, shown = "";

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (String(value).trim()) params.append(key, value); });
    return params.toString();
  }
  function cell(text) { var td = document.createElement("td"); td.textContent = text == null ? "" : text; return td; }
  function draw(answer) {
    var keys = answer.events.map(function (e) { return e.xactionId; }).join(",");
    if (keys !== shown) {
      shown = keys;
      body.textContent = "";
      answer.events.forEach(function (e) {
        var row = document.createElement("tr");
        var when = document.createElement("td");
        var open = document.createElement("button");
        open.type = "button"; open.className = "secondary link";
        open.textContent = e.receivedTime;
        open.setAttribute("aria-label", e.receivedTime + ": show event " + (e._id || e.xactionId));
        open.addEventListener("click", function () { detail(e.xactionId); });
        when.appendChild(open);
        row.appendChild(when);
        row.appendChild(cell(e.status === "good" ? "accepted" : "refused" + (e.reason ? ": " + e.reason : "")));
        row.appendChild(cell(e.eventType));
        row.appendChild(cell(e._id));
        row.appendChild(cell(e.datasetId));
        body.appendChild(row);
      });
    }
    empty.hidden = answer.events.length > 0;
    if (answer.skipped > 0) {
      skipped.hidden = false;
      skipped.textContent = "The buffer skipped " + answer.skipped + " events (too many at once, or older than its " + answer.capacity + " newest): the list may miss some.";
    } else { skipped.hidden = true; }
    status.textContent = (answer.total === 1 ? "1 matching event" : answer.total + " matching events") + "; updated " + new Date().toLocaleTimeString() + ".";
  }
  function poll() {
    if (paused) return;
    fetch("/console/debug/events?" + query(), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (res) {
        if (res.redirected || !res.ok) throw res;
        return res.json();
      })
      .then(draw)
      .catch(function (res) {
        if (res && res.redirected) { status.textContent = "Your session ended: sign in again."; paused = true; return; }
        if (res && res.json) { return res.json().then(function (p) { status.textContent = p.detail || p.title; }); }
        status.textContent = "The collector did not answer; retrying.";
      })
      .then(function () { if (!paused) timer = setTimeout(poll, 1000); });
  }
  function put(id, value) { document.getElementById(id).textContent = value == null ? "none" : JSON.stringify(value, null, 2); }
  function detail(key) {
    fetch("/console/debug/events/" + encodeURIComponent(key), {credentials: "same-origin"})
      .then(function (res) { return res.json(); })
      .then(function (e) {
        var section = document.getElementById("debug-detail");
        var facts = document.getElementById("detail-facts");
        facts.textContent = "";
        [["xactionId", e.xactionId], ["_id", e._id], ["Verdict", e.status], ["Reason", e.reason], ["Inlet", e.inletId], ["Dataset", e.datasetId], ["Found in", e.source]].forEach(function (pair) {
          var dt = document.createElement("dt"); dt.textContent = pair[0];
          var dd = document.createElement("dd"); dd.textContent = pair[1] == null ? "—" : pair[1];
          facts.appendChild(dt); facts.appendChild(dd);
        });
        document.getElementById("detail-heading").textContent = "Event " + (e._id || e.xactionId || key);
        put("detail-violations", e.violations && e.violations.length ? e.violations : null);
        put("detail-entity", e.entity);
        put("detail-enrichment", e.enrichment);
        put("detail-profile", e.profile);
        section.hidden = false;
        section.focus();
      });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    history.replaceState(null, "", "/console/debug?" + query());
    shown = ""; clearTimeout(timer); paused = false; pause.setAttribute("aria-pressed", "false"); pause.textContent = "Pause"; poll();
  });
  pause.addEventListener("click", function () {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume" : "Pause";
    clearTimeout(timer);
    if (!paused) poll();
  });
  poll();
})();
