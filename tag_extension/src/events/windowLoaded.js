// Fires on window load, or right after start when the page has already loaded.
M["events/windowLoaded"] = (s, fire, t) => t.doc.readyState == "complete"
  ? t.on("loaded", () => fire())
  : t.listen(t.win, "load", () => fire());
