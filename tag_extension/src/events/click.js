// Click on an element matching a CSS selector (or inside one), delegated from the document.
M["events/click"] = (s, fire, t) => t.listen(t.doc, "click", e => {
  var el = e.target && e.target.closest && e.target.closest(s.selector);
  el && fire({element: el, nativeEvent: e});
}, true);
