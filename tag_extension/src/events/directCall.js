// window._xdmTag.track(name, detail) with a matching name; event.detail is the detail.
M["events/directCall"] = (s, fire, t) => t.on("track", c => c.name == s.name && fire({detail: c.detail}));
