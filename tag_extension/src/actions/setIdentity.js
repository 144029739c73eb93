// Adds an identity (persisted) to the identityMap of every later beacon.
M["actions/setIdentity"] = (s, ev, t) => t.identity(s.namespace, s.id, s.authenticatedState);
