// Page path (or full URL) matches any of the patterns: globs where * is any run of characters
// (whole-string match), or regular expressions.
M["conditions/path"] = (s, ev, t) => {
  var l = t.win.location, v = s.target == "url" ? l.href : l.pathname, f = s.caseInsensitive ? "i" : "";
  return (s.patterns || []).some(p => new RegExp(s.syntax == "regex" ? p
    : "^" + p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$", f).test(v));
};
