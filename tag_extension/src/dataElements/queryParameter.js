// A query parameter of the page URL.
M["dataElements/queryParameter"] = (s, ev, t) => t.param(s.name);
