// Passes for a percentage of rule runs; sticky: for a stable share of devices (hash of the
// device id and the rule name), so a device is always in or always out.
M["conditions/sampling"] = (s, ev, t) => {
  var r = t.win.Math.random(), k, h = 2166136261, i = 0;
  if (s.sticky) {
    for (k = t.deviceId() + "/" + ev.rule; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 16777619);
    r = (h >>> 0) / 4294967296;
  }
  return r * 100 < s.percentage;
};
