// Fires on DOMContentLoaded, or right after start when the document is already parsed.
M["events/domReady"] = (s, fire, t) => t.doc.readyState == "loading"
  ? t.listen(t.doc, "DOMContentLoaded", () => fire())
  : t.on("loaded", () => fire());
