// Records the visitor's consent: in sends, pending holds the queue, out clears it.
M["actions/setConsent"] = (s, ev, t) => t.consent(s.value);
