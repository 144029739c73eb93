// The demo shop's page script: wires the forms, links and consent buttons to the tag, and
// shows each beacon the tag sends and the collector's answer through _xdmTag.on(...).
// It runs before the tag has loaded: the snippet's stub queues these calls until it has.
(function () {
  // Until the tag has loaded, window._xdmTag is the snippet's stub (calls are queued); always
  // call through window._xdmTag so later calls reach the loaded tag.
  var tag = window._xdmTag, entries = {}, queued = {};

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

  function answer(r) {
    var results = (r.body && r.body.responses) || [];
    r.messages.forEach(function (m, i) {
      var status = entries[m.body.xdmEntity._id], x = results[i] || {};
      if (!status) return;
      var ok = r.status >= 200 && r.status < 300 && !(x.status >= 400);
      var retry = !r.status || r.status == 408 || r.status == 429 || r.status >= 500;
      set(status, ok ? "ok" : retry ? "retry" : "bad", !r.status ? "network error: will retry" :
        ok ? "✓ " + r.status + " accepted" : retry ? r.status + ": will retry" :
        (x.status || r.status) + " " + (x.message || "dropped"));
      status.title = x.xactionId ? "xactionId " + x.xactionId : status.textContent;
    });
  }

  // Consent "out" discards the queue (the tag sends none of it, ever) and the device id; the
  // labels say so, and the device id shows again once consent is back "in".
  function showConsent(value) {
    var device = $("#device-id");
    $("#consent-state").textContent = value;
    document.querySelectorAll("[data-consent]").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-consent") == value);
    });
    if (value == "out") {
      device.textContent = "(none: consent out)";
      Object.keys(queued).forEach(function (id) {
        set(queued[id], "bad", "discarded: consent out");
      });
      queued = {};
    } else if (value == "in") {
      device.textContent = window._xdmTag.getDeviceId();
    } else if (device.textContent == "(none: consent out)") {
      device.textContent = "(none until consent is in)"; // pending keeps an existing id
    }
  }

  function unqueue(m) {
    delete queued[m.body.xdmEntity._id];
  }

  tag.on("beacon", function (m) {
    var pending = window._xdmTag.setConsent() == "pending";
    set(entry(m), "pending", pending ? "queued: consent pending" : "queued");
    queued[m.body.xdmEntity._id] = entry(m);
  });
  tag.on("send", function (s) {
    s.messages.forEach(function (m) {
      unqueue(m);
      set(entry(m), s.transport == "beacon" ? "ok" : "pending",
        s.transport == "beacon" ? "handed to sendBeacon" : "sending…");
    });
  });
  tag.on("response", answer);
  tag.on("drop", function (d) {
    d.messages.forEach(function (m) {
      unqueue(m);
      set(entry(m), "bad", "dropped: " + d.reason);
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
    $("#newsletter").addEventListener("submit", function (e) {
      e.preventDefault();
      window._xdmTag.track("newsletter", {email: $("#email").value});
    });
  });
})();
