// Fires once the library has started (after calls queued by the embed snippet are replayed).
M["events/libraryLoaded"] = (s, fire, t) => t.on("loaded", () => fire());
