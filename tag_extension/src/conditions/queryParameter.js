// A query parameter of the page URL compared with a value.
M["conditions/queryParameter"] = (s, ev, t) =>
  cmp(t.param(s.name), s.operator || "exists", s.value, s.caseInsensitive);
