(function (w) {
  var t = w._xdmTag = w._xdmTag || {q: []};
  ["track", "setConsent", "setIdentity", "flush", "debug", "on"].forEach(function (n) {
    t[n] = t[n] || function () { t.q.push([n, arguments]); };
  });
})(window);
