/* xdm-tag runtime core: rules, data elements, consent, identities, the beacon queue and its
   transport. A library is this file, then the type modules a property uses (each registers
   itself in M under "<kind>/<name>"), then `start(window, C)`, all inside one function:
   see "Build recipe" in tag_extension/README.md. Modules may use the pure helpers below. */
var M = {};
var CT = "application/vnd.adobe.xed-full+json;version=1";
var LIMIT = 60000; // bytes per request body: under the 64 KB keepalive and sendBeacon budget
var CONSENT = ["in", "out", "pending"];
// Keys that could reach a prototype: never written by path, never used as names.
var UNSAFE = ["__proto__", "constructor", "prototype"];

function own(o, k) {
  return {}.hasOwnProperty.call(o, k);
}

// "identityMap.Email[0].id" -> ["identityMap", "Email", 0, "id"]
function keys(p) {
  return (String(p).match(/[^.[\]]+|\[\d+\]/g) || []).map(k => k[0] == "[" ? +k.slice(1, -1) : k);
}

function dig(o, p) {
  return keys(p).reduce((o, k) => o == null ? undefined : o[k], o);
}

// Sets path p of o (creating objects, or arrays before an index); skips empty values;
// `soft` keeps a value that is already there; a path through an UNSAFE key is ignored.
function put(o, p, v, soft) {
  var k = keys(p), n = k.length - 1, i = 0;
  if (v == null || v === "" || n < 0 || k.some(x => UNSAFE.includes(x))) return;
  for (; i < n; i++) {
    o = o[k[i]] && typeof o[k[i]] == "object" ? o[k[i]] : (o[k[i]] = typeof k[i + 1] == "number" ? [] : {});
  }
  if (!soft || o[k[n]] === undefined) o[k[n]] = v;
}

function cmp(a, op, b, ci) {
  if (op == "exists") return a != null;
  if (a == null) return false;
  if (op == "greaterThan") return +a > +b;
  if (op == "lessThan") return +a < +b;
  if (op == "regex") return new RegExp(b, ci ? "i" : "").test(a);
  a = String(a);
  b = b == null ? "" : String(b);
  if (ci) a = a.toLowerCase(), b = b.toLowerCase();
  return op == "contains" ? a.includes(b) : op == "startsWith" ? a.startsWith(b) :
    op == "endsWith" ? a.endsWith(b) : a == b;
}

// UTF-8 length of a value's JSON
function size(m) {
  return encodeURIComponent(JSON.stringify(m)).replace(/%../g, "x").length;
}

// A queued beacon is {message, tries (requests it went out in), at (when it was queued, ms)}.
function messages(list) {
  return list.map(x => x.message);
}

function body(list) {
  return JSON.stringify({messages: messages(list)});
}

function retryable(status) {
  return !status || status == 408 || status == 429 || status >= 500;
}

function start(win, C) {
  try {
    return run(win, C);
  } catch (e) {
    win.console && win.console.warn("[xdm-tag] not started:", e);
  }
}

function run(win, C) {
  var old = win._xdmTag;
  if (old && old.stats) return old; // a second copy of the library on the same page
  var X = C.extension || {}, DE = C.dataElements || {}, doc = win.document, nav = win.navigator || {},
    url = String(X.collectorUrl || "").replace(/\/+$/, "") + "/collection/batch/" + X.inletId,
    qKey = "xdm_q:" + X.inletId, maxQ = X.maxQueue || 100, batch = X.batchSize || 20,
    maxTries = X.maxAttempts || 10, maxHours = X.maxAgeHours || 24,
    subs = Object.create(null), dbg = !!X.debug, fly = [], until = 0, failures = 0, net = 0, timer = 0, dev, kept,
    st = {sent: 0, accepted: 0, invalid: 0, dropped: 0, retries: 0},
    drops = {status: 0, attempts: 0, age: 0, queue: 0, consent: 0, size: 0},
    q = store(qKey), ids = store("xdm_ids"),
    cv = [store("xdm_consent"), X.defaultConsent, "in"].find(c => CONSENT.includes(c)),
    t = {win, doc, nav, on, emit, listen, val, cookie, store, consent, identity, deviceId, send, warn,
      param: n => new win.URLSearchParams(win.location.search).get(n)},
    api = {track: (name, detail) => emit("track", {name, detail}), setConsent: consent,
      setIdentity: identity, flush, getDeviceId: deviceId, on, debug: v => { dbg = v === undefined || !!v },
      stats: () => Object.assign({queued: q.length + fly.length}, st, {drops: Object.assign({}, drops)})};

  q = Array.isArray(q) ? q.map(queued).filter(x => (x = x.message) && x.body && x.body.xdmEntity && x.body.xdmEntity.identityMap) : [];
  ids && typeof ids == "object" || (ids = {});
  for (var k in api) api[k] = guard(api[k]);
  (C.rules || []).forEach(guard(r => r.events.forEach(e => {
    guard(M[e.type])(e.settings || {}, guard(d => fire(r, e, d)), t);
  })));
  listen(win, "pagehide", hide);
  listen(doc, "visibilitychange", () => doc.visibilityState == "hidden" && hide());
  listen(win, "online", () => {
    if (net) until = 0;
    flush();
  });
  win._xdmTag = api;
  Array.from(old && old.q || []).forEach(guard(c => api[c[0]].apply(api, c[1])));
  emit("loaded");
  flush();
  return api;

  function log(...a) {
    try {
      win.console.warn("[xdm-tag]", ...a);
    } catch (e) {}
  }

  function warn(...a) {
    dbg && log(...a);
  }

  function guard(f) {
    return function () {
      try {
        return f.apply(this, arguments);
      } catch (e) {
        warn(e);
      }
    };
  }

  function listen(o, n, f, capture) {
    o && o.addEventListener(n, guard(f), capture);
  }

  function on(n, f) {
    (subs[n] = subs[n] || []).push(f);
    return () => { subs[n] = subs[n].filter(g => g != f) };
  }

  function emit(n, d) {
    (subs[n] || []).slice().forEach(f => guard(f)(d));
  }

  function store(k, v) {
    try {
      if (v === undefined) return JSON.parse(win.localStorage.getItem(k));
      win.localStorage.setItem(k, JSON.stringify(v));
    } catch (e) {
      warn(e);
    }
  }

  function cookie(n) {
    try {
      var v = ("; " + doc.cookie).split("; " + n + "=")[1];
      return v == null ? v : decodeURIComponent(v.split(";")[0]);
    } catch (e) {
      warn(e);
    }
  }

  function bytes(n) {
    var a = new Uint8Array(n), c = win.crypto, i = 0;
    if (c && c.getRandomValues) c.getRandomValues(a);
    else for (; i < n; i++) a[i] = win.Math.random() * 256;
    return Array.from(a);
  }

  function uuid() {
    var c = win.crypto, b;
    if (c && c.randomUUID) return c.randomUUID();
    b = bytes(16);
    b[6] = b[6] & 15 | 64;
    b[8] = b[8] & 63 | 128;
    return b.map((x, i) => ([4, 6, 8, 10].includes(i) ? "-" : "") + (x + 256).toString(16).slice(1)).join("");
  }

  // ECID-like: 38 decimal digits, kept in the first-party cookie xdm_ecid while consent is
  // "in" (written once per page, which refreshes its lifetime) and removed on "out".
  function deviceId() {
    if (!dev) {
      dev = cookie("xdm_ecid");
      /^\d{38}$/.test(dev) || (dev = bytes(38).map(b => b % 10).join(""));
    }
    if (cv == "in" && !kept) kept = ecid(dev, 86400 * (X.cookieLifetimeDays || 390));
    return dev;
  }

  function ecid(v, age) {
    try {
      doc.cookie = "xdm_ecid=" + v + "; path=/; max-age=" + age + "; SameSite=Lax" +
        (X.cookieDomain ? "; domain=" + X.cookieDomain : "") + (win.location.protocol == "https:" ? "; Secure" : "");
    } catch (e) {
      warn(e);
    }
    return 1;
  }

  function consent(v) {
    if (v === undefined) return cv;
    if (!CONSENT.includes(v)) return warn("unknown consent", v);
    cv = v;
    store("xdm_consent", v);
    emit("consent", v);
    if (v == "out") {
      drop(q, "consent", "consent out");
      q = [];
      save();
      ecid("", 0);
      dev = kept = 0;
    }
    dev && deviceId();
    flush();
  }

  function identity(ns, id, state) {
    if (!ns || UNSAFE.includes(ns) || id == null || id === "") return;
    ids[ns] = [{id: String(id), authenticatedState: state || "authenticated"}];
    store("xdm_ids", ids);
  }

  // Data element value: "event.<path>" reads the event; empty values fall back to the default.
  function val(n, ev) {
    var d = own(DE, n) ? DE[n] : void 0, v;
    if (!String(n).indexOf("event.")) return dig(ev, n.slice(6));
    try {
      v = M[d.type](d.settings || {}, ev || {}, t);
    } catch (e) {
      warn(e);
    }
    return v == null || v === "" ? d && d.default : v;
  }

  function known(n) {
    return own(DE, n) || !n.indexOf("event.");
  }

  // Replaces %name% references in settings: a whole-string reference keeps the value's type,
  // embedded references interpolate as text; unknown names stay as written.
  function res(x, ev) {
    var m = typeof x == "string" && /^%([^%]+)%$/.exec(x), o, k;
    if (m && known(m[1])) return val(m[1], ev);
    if (typeof x == "string") {
      return x.replace(/%([^%]+)%/g, (a, n) => known(n) ? text(val(n, ev)) : a);
    }
    if (Array.isArray(x)) return x.map(y => res(y, ev));
    if (!x || typeof x != "object") return x;
    o = {};
    for (k in x) own(x, k) && k != "__proto__" && (o[k] = res(x[k], ev));
    return o;
  }

  function text(v) {
    return v == null ? "" : typeof v == "object" ? JSON.stringify(v) : String(v);
  }

  function fire(r, e, d) {
    var ev = Object.assign({rule: r.name, event: e.type}, d);
    if (!(r.conditions || []).every(c => test(c, ev))) return;
    emit("rule", ev);
    (r.actions || []).forEach(a => guard(() => M[a.type](res(a.settings || {}, ev), ev, t))());
  }

  function test(c, ev) {
    try {
      return !M[c.type](res(c.settings || {}, ev), ev, t) == !!c.negate;
    } catch (e) {
      warn(e);
      return false;
    }
  }

  // Wraps an XDM entity in the streaming envelope and queues it.
  function send(e, ds, sc) {
    if (cv == "out") return;
    var m = e.identityMap = e.identityMap || {}, ref = {id: sc, contentType: CT}, n;
    put(e, "_id", uuid(), 1);
    for (n in ids) UNSAFE.includes(n) || [].concat(ids[n]).forEach(i => {
      if (i && i.id && !(m[n] = m[n] || []).some(j => j.id == i.id)) m[n].push(i);
    });
    enqueue({
      header: {schemaRef: ref, imsOrgId: X.orgId, datasetId: ds || X.datasetId, source: {name: "xdm-tag"}},
      body: {xdmMeta: {schemaRef: ref}, xdmEntity: e}
    });
  }

  // The device id goes in when a beacon leaves, so it is always the one in the cookie (none is
  // stored while consent is pending).
  function stamp(list) {
    var id = deviceId();
    list.forEach(x => {
      var m = x.message.body.xdmEntity.identityMap, e = m.ECID || [];
      (e[0] || {}).id == id || (m.ECID = [{id, primary: true, authenticatedState: "ambiguous"}].concat(e));
    });
    return list;
  }

  function enqueue(m) {
    var x = {message: m, tries: 0, at: now()};
    if (size(m) > LIMIT - 200) return drop([x], "size", "over " + LIMIT + " bytes");
    q.push(x);
    emit("beacon", m);
    trim();
    save();
    q.length >= batch ? flush() : timer || later(X.flushIntervalMs ?? 1000);
  }

  function trim() {
    var n = q.length - maxQ;
    n > 0 && drop(q.splice(0, n), "queue", "queue full");
  }

  // A stored queue entry (a bare envelope from an older library counts as queued now).
  function queued(x) {
    return {message: x && x.message || x, tries: x && +x.tries || 0, at: x && +x.at || now()};
  }

  // Beacons that will never be sent: counted by reason, reported to on("drop") and logged
  // (except those the visitor's consent "out" discards).
  function drop(list, reason, why, status) {
    if (!list.length) return;
    st.dropped += list.length;
    drops[reason] += list.length;
    reason == "consent" || log("dropped", list.length, "beacon(s):", why);
    emit("drop", {reason, status, detail: why, messages: messages(list)});
  }

  // Beacons queued more than maxAgeHours ago are never sent.
  function expire() {
    var t = now(), old = q.filter(x => t - x.at > maxHours * 36e5);
    q = q.filter(x => !old.includes(x));
    old.length && save();
    drop(old, "age", "queued over " + maxHours + " h ago");
  }

  function save() {
    store(qKey, fly.concat(q));
  }

  function later(ms) {
    win.clearTimeout(timer);
    timer = win.setTimeout(guard(() => {
      timer = 0;
      flush();
    }), ms);
  }

  // Splits a list into request bodies of at most `batch` messages and LIMIT bytes.
  function pack(list) {
    var out = [], cur = [], n = 15;
    list.forEach(m => {
      var z = size(m.message) + 1;
      if (cur.length && (cur.length >= batch || n + z > LIMIT)) out.push(cur), cur = [], n = 15;
      cur.push(m);
      n += z;
    });
    return cur.length ? out.concat([cur]) : out;
  }

  function now() {
    return win.Date.now();
  }

  // One request in flight at a time; nothing leaves before consent is "in" or during back-off.
  function flush() {
    var b, r = {};
    expire();
    if (fly.length || !q.length || cv != "in" || now() < until) return;
    b = body(fly = pack(stamp(q.slice(0, batch)))[0]);
    q = q.slice(fly.length);
    fly.forEach(x => x.tries++);
    save();
    emit("send", {url, messages: messages(fly), transport: "fetch"});
    Promise.resolve()
      .then(() => win.fetch(url, {method: "POST", keepalive: true, body: b, headers: {"content-type": "text/plain"}}))
      .then(x => (r = Object(x)).json())
      .catch(() => 0)
      .then(j => answer(r, j))
      .catch(warn);
  }

  // Each beacon's answer is its 207 entry, else the request's status. 2xx: stored, valid or
  // not (the entry's validation verdict); network errors, 408, 429 and 5xx: retried with
  // back-off (Retry-After seconds when given) up to maxAttempts; any other status: dropped.
  function answer(r, j) {
    var s = r.status, list = fly, ok = s > 199 && s < 300, again = [], ra, d,
      results = list.map((x, i) => {
        var e = Object(ok && j && j.responses && j.responses[i]);
        return {beacon: x.message, status: +e.status || s || 0, verdict: e.validation || null, message: e.message};
      });
    fly = [];
    emit("response", {status: s, body: j, messages: messages(list), results});
    results.forEach((x, i) => {
      var c = x.status;
      if (c > 199 && c < 300) {
        st.sent++;
        x.verdict && x.verdict.status == "fail" ? (st.invalid++, dbg && guard(invalid)(x)) : st.accepted++;
      } else if (retryable(c)) again.push(list[i]);
      else if (ok) drop([list[i]], "status", c + " " + x.message, c);
    });
    ok || again.length || drop(list, "status", "HTTP " + s, s);
    if (again.length) {
      st.retries++;
      drop(again.filter(x => x.tries >= maxTries), "attempts", maxTries + " attempts");
      q = again.filter(x => x.tries < maxTries).concat(q);
      trim();
      net = !s;
      ra = parseFloat(r.headers && r.headers.get("retry-after"));
      d = ra >= 0 ? ra * 1000 : Math.min(6e4, 1000 * 2 ** failures) * (0.5 + win.Math.random() / 2);
      failures++;
      until = now() + d;
      later(d);
    } else failures = net = 0;
    save();
    flush();
  }

  // Debug mode: a beacon stored as invalid, with its violations.
  function invalid(x) {
    var e = x.beacon.body.xdmEntity, v = x.verdict;
    warn("stored, but invalid:", e.eventType || "", e._id, v.count + " violation(s):",
      [].concat(v.violations || []).map(f => f.pointerToViolation + " " + f.keyword + ": " + f.message).join("; "));
  }

  // Page hide: hand what is queued to sendBeacon (unless consent or a back-off holds it).
  function hide() {
    expire();
    if (cv != "in" || now() < until || !nav.sendBeacon) return;
    for (var p of pack(stamp(q))) {
      if (!nav.sendBeacon(url, body(p))) break;
      q = q.slice(p.length);
      st.sent += p.length;
      emit("send", {url, messages: messages(p), transport: "beacon"});
    }
    save();
  }
}
