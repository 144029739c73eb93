// Fires once the page has been open for a number of seconds.
M["events/timeOnPage"] = (s, fire, t) => t.win.setTimeout(() => fire(), s.seconds * 1000);
