// The latest value of a dot path across the objects pushed to a window.dataLayer-style array.
M["dataElements/dataLayer"] = (s, ev, t) => {
  var a = t.win[s.layer || "dataLayer"] || [], i = a.length, v;
  while (i--) if ((v = dig(a[i], s.path)) !== undefined) return v;
};
