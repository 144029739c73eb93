// A localStorage item (as stored text).
M["dataElements/localStorage"] = (s, ev, t) => t.win.localStorage.getItem(s.key);
