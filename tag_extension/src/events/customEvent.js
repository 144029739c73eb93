// A DOM event by name (e.g. one dispatched with new CustomEvent), optionally only from
// elements matching a selector; event.detail is the event's detail.
M["events/customEvent"] = (s, fire, t) => t.listen(t.win, s.eventName, e => {
  var el = e.target, hit = !s.selector || el && el.closest && (el = el.closest(s.selector));
  hit && fire({element: el, detail: e.detail, nativeEvent: e});
}, true);
