// The demo shop's page script: wires the forms, links and consent buttons to the tag, and
// shows each beacon the tag sends and the collector's answer through _xdmTag.on(...).
// It runs before the tag has loaded: the snippet's stub queues these calls until it has.
(function () {
  // Until the tag has loaded, window._xdmTag is the snippet's stub (calls are queued); always
  // call through window._xdmTag so later calls reach the loaded tag.
  var tag = window._xdmTag, entries = {};

  function $(selector) {
    return document.querySelector(selector);
  }

  function short(id) {
    return String(id || "").slice(0, 8);
  }

  function describe(entity) {
    var items = entity.productListItems, web = entity.web || {}, what = [];
    if (items && items[0]) what.push(items[0].name || items[0].SKU);
    if (entity._demo && entity._demo.searchTerm) what.push("“" + entity._demo.searchTerm + "”");
    if (web.webInteraction && web.webInteraction.name) what.push(web.webInteraction.name);
    if (web.webPageDetails && web.webPageDetails.viewName) what.push(web.webPageDetails.viewName);
    return what.join(" · ");
  }

  function set(status, kind, text) {
    status.className = "status " + kind;
    status.textContent = text;
  }

  // One entry per beacon, keyed by its _id: queued, then sent, then answered.
  function entry(message) {
    var entity = message.body.xdmEntity, li, head, detail, status;
    if (entries[entity._id]) return entries[entity._id];
    li = document.createElement("li");
    head = document.createElement("div");
    detail = document.createElement("div");
    status = document.createElement("span");
    head.className = "head";
    head.textContent = entity.eventType || "(no eventType)";
    head.appendChild(status);
    detail.className = "detail";
    detail.textContent = [describe(entity), "_id " + short(entity._id)].filter(Boolean).join(" — ");
    li.appendChild(head);
    li.appendChild(detail);
    li.title = JSON.stringify(message, null, 2);
    $("#log").prepend(li);
    $("#empty").hidden = true;
    return (entries[entity._id] = status);
  }

  // "#/productListItems/0/SKU" -> "productListItems[0].SKU" (the paths the tag's mapping uses)
  function path(pointer) {
    var steps = String(pointer || "").replace(/^#\/?/, "").split("/").filter(Boolean);
    return steps.map(function (k, i) {
      k = k.replace(/~1/g, "/").replace(/~0/g, "~");
      return /^\d+$/.test(k) ? "[" + k + "]" : (i ? "." : "") + k;
    }).join("") || "(the event)";
  }

  function violation(v) {
    return path(v.pointerToViolation) + ": " + v.message;
  }

  // Each beacon's own answer (the tag hands it over with the collector's validation verdict):
  // accepted and valid, stored but invalid (kept among the dataset's failed records), to be
  // retried, or refused (the drop that follows says so).
  function answer(r) {
    var ids = ((r.body && r.body.responses) || []).map(function (x) { return x.xactionId; });
    (r.results || []).forEach(function (x, i) {
      var status = entries[x.beacon.body.xdmEntity._id], v = x.verdict || {}, found;
      if (!status) return;
      if (x.status >= 200 && x.status < 300 && v.status == "fail") {
        found = v.violations || [];
        set(status, "bad invalid", "stored, but invalid: " + (found[0] ? violation(found[0]) : "") +
          (v.count > 1 ? " (+" + (v.count - 1) + " more)" : ""));
        status.title = found.map(violation).join("\n");
        return;
      }
      set(status, x.status >= 200 && x.status < 300 ? "ok" : "retry",
        !x.status ? "network error: will retry" :
        x.status >= 200 && x.status < 300 ? "✓ " + x.status + " accepted" + (v.status == "pass" ? ", valid" : "") :
        x.status + (x.status == 408 || x.status == 429 || x.status >= 500 ? ": will retry" : " " + (x.message || "refused")));
      status.title = ids[i] ? "xactionId " + ids[i] : status.textContent;
    });
  }

  // Consent "out" discards the queue (the tag reports each beacon as dropped: it sends none of
  // them, ever) and the device id; the device id shows again once consent is back "in".
  function showConsent(value) {
    var device = $("#device-id");
    $("#consent-state").textContent = value;
    document.querySelectorAll("[data-consent]").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-consent") == value);
    });
    if (value == "out") {
      device.textContent = "(none: consent out)";
    } else if (value == "in") {
      device.textContent = window._xdmTag.getDeviceId();
    } else if (device.textContent == "(none: consent out)") {
      device.textContent = "(none until consent is in)"; // pending keeps an existing id
    }
  }

  tag.on("beacon", function (m) {
    var pending = window._xdmTag.setConsent() == "pending";
    set(entry(m), "pending", pending ? "queued: consent pending" : "queued");
  });
  tag.on("send", function (s) {
    s.messages.forEach(function (m) {
      set(entry(m), s.transport == "beacon" ? "ok" : "pending",
        s.transport == "beacon" ? "handed to sendBeacon" : "sending…");
    });
  });
  tag.on("response", answer);
  tag.on("drop", function (d) {
    d.messages.forEach(function (m) {
      set(entry(m), "bad", d.reason == "consent" ? "discarded: consent out" : "dropped: " + d.detail);
    });
  });
  tag.on("consent", showConsent);
  tag.on("loaded", function () {
    showConsent(window._xdmTag.setConsent()); // without an argument: the current consent
    window._xdmTag.on("send", function () {
      $("#device-id").textContent = window._xdmTag.getDeviceId();
    });
  });

  // The page's category is set before the URL changes: the tag's history change rule reads it
  // the moment pushState or popstate happens.
  function show(view) {
    window.demoShop.category = view;
    $("#view-title").textContent = view == "home" ? "Everything" : view[0].toUpperCase() + view.slice(1);
    document.querySelectorAll(".card").forEach(function (card) {
      card.hidden = view != "home" && card.getAttribute("data-category") != view;
    });
  }

  // Registered now, before the tag loads, so that it runs before the tag's own listener.
  window.addEventListener("popstate", function () {
    show(new URLSearchParams(location.search).get("view") || "home");
  });

  document.addEventListener("DOMContentLoaded", function () {
    show(new URLSearchParams(location.search).get("view") || "home");
    // Single-page navigation: history.pushState fires the property's history change rule.
    document.querySelectorAll("[data-view]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        show(a.getAttribute("data-view"));
        history.pushState({}, "", a.getAttribute("href"));
      });
    });
    document.querySelectorAll("[data-consent]").forEach(function (b) {
      b.addEventListener("click", function () {
        window._xdmTag.setConsent(b.getAttribute("data-consent"));
      });
    });
    $("#search").addEventListener("submit", function (e) {
      e.preventDefault();
      e.target.dispatchEvent(new CustomEvent("demo:search", {bubbles: true, detail: {term: $("#term").value}}));
    });
    // The search rule maps the term as it comes: a number breaks the schema (a string field).
    $("#invalid").addEventListener("click", function (e) {
      e.target.dispatchEvent(new CustomEvent("demo:search", {bubbles: true, detail: {term: 42}}));
    });
    $("#newsletter").addEventListener("submit", function (e) {
      e.preventDefault();
      window._xdmTag.track("newsletter", {email: $("#email").value});
    });
  });
})();
