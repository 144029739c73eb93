// A cookie compared with a value.
M["conditions/cookie"] = (s, ev, t) => cmp(t.cookie(s.name), s.operator || "exists", s.value, s.caseInsensitive);
