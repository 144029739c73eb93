// Builds an XDM entity from mapping rows {path, value} (values already resolved, paths may
// carry array indices), fills environment and web page details when the schema has them,
// adds a timestamp unless the schema has none (records), and queues it (the core adds _id,
// identities and the envelope).
M["actions/sendBeacon"] = (s, ev, t) => {
  var e = {}, f = s.fill || {}, w = t.win, d = t.doc, n = t.nav,
    fill = (base, o) => Object.keys(o).forEach(k => put(e, base + k, o[k], 1));
  (s.mapping || []).forEach(r => put(e, r.path, r.value));
  f.environment && fill("environment.", {type: "browser", "browserDetails.userAgent": n.userAgent,
    "browserDetails.acceptLanguage": n.language, "browserDetails.cookiesEnabled": n.cookieEnabled,
    "browserDetails.javaScriptEnabled": true, "browserDetails.viewportWidth": w.innerWidth,
    "browserDetails.viewportHeight": w.innerHeight});
  f.web && fill("web.", {"webPageDetails.URL": w.location.href, "webPageDetails.name": d.title,
    "webReferrer.URL": d.referrer});
  f.timestamp !== false && put(e, "timestamp", new w.Date().toISOString(), 1);
  t.send(e, s.datasetId, s.schemaId);
};
