// The value of a first-party cookie.
M["dataElements/cookie"] = (s, ev, t) => t.cookie(s.name);
