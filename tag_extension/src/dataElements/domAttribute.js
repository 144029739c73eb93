// An attribute of the first element matching a selector, or its trimmed text without one.
M["dataElements/domAttribute"] = (s, ev, t) => {
  var e = t.doc.querySelector(s.selector);
  return e ? s.attribute ? e.getAttribute(s.attribute) : e.textContent.trim() : undefined;
};
