// Consent: "in" sends, "pending" holds the queue, "out" sends nothing and clears it.
import assert from "node:assert/strict";
import test from "node:test";
import {INLET, beaconRule, boot, config, counts, fakeStorage, plain} from "./fake.mjs";

function setup(extension = {}, opts = {}) {
  return boot(config(extension, {rules: [
    beaconRule("go", [{path: "n", value: "%event.detail%"}]),
    {name: "opt out", events: [{type: "events/directCall", settings: {name: "optout"}}],
      actions: [{type: "actions/setConsent", settings: {value: "out"}}]},
  ]}), opts);
}

test("pending holds beacons, queued and persisted, until consent is given", async () => {
  const storage = fakeStorage();
  const {win, api, beacons} = setup({defaultConsent: "pending"}, {storage});
  [1, 2].forEach(i => api.track("go", i));
  api.flush();
  await win.advance(60000);
  win.dispatchEvent({type: "pagehide"});
  assert.equal(win.requests.length + win.beacons.length, 0);
  assert.equal(beacons.length, 2);
  assert.equal(JSON.parse(storage.getItem("xdm_q:" + INLET)).length, 2);
  api.setConsent("in");
  await win.advance(0);
  assert.deepEqual(win.requests.flatMap(r => r.messages.map(m => m.body.xdmEntity.n)), [1, 2]);
  assert.equal(storage.getItem("xdm_consent"), '"in"');
});

test("out clears the queue and sends nothing, on this page and the next", async () => {
  const storage = fakeStorage();
  const {win, api, beacons} = setup({defaultConsent: "pending"}, {storage});
  const drops = [];
  api.on("drop", d => drops.push(d));
  [1, 2, 3].forEach(i => api.track("go", i));
  api.track("optout");
  assert.deepEqual(plain(api.stats()), counts({dropped: 3, drops: {consent: 3}}));
  assert.deepEqual(plain(drops.map(d => [d.reason, d.messages.map(m => m.body.xdmEntity.n)])), [["consent", [1, 2, 3]]]);
  assert.deepEqual(win.warnings, []); // the visitor's choice, not a problem to log
  assert.deepEqual(JSON.parse(storage.getItem("xdm_q:" + INLET)), []);
  api.track("go", 4);
  await win.advance(60000);
  win.dispatchEvent({type: "pagehide"});
  assert.equal(beacons.length, 3);
  assert.equal(win.requests.length + win.beacons.length, 0);
  const next = setup({defaultConsent: "in"}, {storage});
  next.api.track("go", 5);
  await next.win.advance(60000);
  assert.equal(next.beacons.length + next.win.requests.length, 0);
  assert.equal(next.win.document.cookie, "");
});

test("an unknown consent value is ignored, also when stored", async () => {
  const storage = fakeStorage({map: new Map([["xdm_consent", '"maybe"']])});
  const junk = setup({defaultConsent: "pending"}, {storage});
  junk.api.track("go", 1);
  await junk.win.advance(60000);
  assert.equal(junk.win.requests.length, 0); // the configured default, pending, applies
  assert.equal(plain(junk.api.stats()).queued, 1);

  const {win, api} = setup({defaultConsent: "pending"});
  api.setConsent("maybe");
  api.setConsent();
  api.track("go", 1);
  await win.advance(60000);
  assert.equal(win.requests.length, 0);
  api.setConsent("in");
  await win.advance(0);
  assert.equal(win.requests.length, 1);
});

test("the device id cookie is written only with consent in, and removed on out", async () => {
  const {win, api} = setup({defaultConsent: "pending"});
  api.track("go", 1);
  const id = api.getDeviceId();
  assert.deepEqual(win.document.cookieWrites, []);
  api.setConsent("in");
  await win.advance(0);
  assert.equal(win.document.jar.get("xdm_ecid").value, id);
  assert.equal(win.requests[0].messages[0].body.xdmEntity.identityMap.ECID[0].id, id);
  api.setConsent("out");
  assert.equal(win.document.jar.has("xdm_ecid"), false);
  assert.match(win.document.cookieWrites.at(-1), /^xdm_ecid=; path=\/; max-age=0; SameSite=Lax/);
  api.setConsent("in");
  assert.notEqual(api.getDeviceId(), id);
});
