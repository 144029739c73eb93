// Single-page navigation: pushState, replaceState, popstate or hashchange that changes the URL.
M["events/historyChange"] = (s, fire, t) => {
  var w = t.win, h = w.history, last = w.location.href, check = () => {
    var from = last;
    last = w.location.href;
    last != from && fire({detail: {url: last, from}});
  };
  ["pushState", "replaceState"].forEach(m => {
    var o = h && h[m];
    o && (h[m] = function () {
      var r = o.apply(this, arguments);
      check();
      return r;
    });
  });
  t.listen(w, "popstate", check);
  t.listen(w, "hashchange", check);
};
