// The visitor's current consent (in, out or pending).
M["conditions/consent"] = (s, ev, t) => t.consent() == s.value;
