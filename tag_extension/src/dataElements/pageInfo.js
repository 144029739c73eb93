// A fact about the page: url, hostname, path, title, referrer or language.
M["dataElements/pageInfo"] = (s, ev, t) => {
  var l = t.win.location, d = t.doc;
  return {url: l.href, hostname: l.hostname, path: l.pathname, title: d.title, referrer: d.referrer,
    language: t.nav.language}[s.attribute];
};
