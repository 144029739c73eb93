// The first-party device id (the ECID sent in identityMap).
M["dataElements/deviceId"] = (s, ev, t) => t.deviceId();
