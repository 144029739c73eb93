// Retries are bounded per beacon, by attempts (maxAttempts) and by age (maxAgeHours); 4xx other
// than 408 and 429 are final; every drop is reported to on("drop") with its reason and counted
// in stats().drops.
import assert from "node:assert/strict";
import test from "node:test";
import {INLET, accept, beaconRule, boot, config, counts, fakeStorage, plain} from "./fake.mjs";

const HOUR = 3600 * 1000;

function setup(extension = {}, opts = {}) {
  const cfg = config({batchSize: 5, ...extension}, {rules: [beaconRule("go", [{path: "n", value: "%event.detail%"}])]});
  const drops = [], seen = d => drops.push(plain({...d, messages: d.messages.map(m => m.body.xdmEntity.n)}));
  return {...boot(cfg, {...opts, q: [["on", ["drop", seen]]]}), drops}; // subscribed before the first flush
}

const ns = req => req.messages.map(m => m.body.xdmEntity.n);

test("a beacon is sent at most maxAttempts times (default 10), counted per beacon", async () => {
  const always = setup({}, {respond: () => ({status: 500})});
  always.api.track("go", 1);
  await always.win.advance(60 * 60 * 1000);
  assert.equal(always.win.requests.length, 10);
  assert.deepEqual(always.drops, [{reason: "attempts", detail: "10 attempts", messages: [1]}]);
  assert.deepEqual(plain(always.api.stats()), counts({dropped: 1, retries: 10, drops: {attempts: 1}}));
  assert.ok(always.win.warnings.some(w => w.includes("dropped 1 beacon(s): 10 attempts")));

  // Beacon 2 joins after beacon 1's first failure: each leaves after its own third attempt.
  const {win, api, drops} = setup({maxAttempts: 3}, {respond: () => ({status: 503, headers: {"retry-after": "1"}})});
  api.track("go", 1);
  api.flush();
  await win.advance(0);
  api.track("go", 2);
  await win.advance(60000);
  assert.deepEqual(win.requests.map(ns), [[1], [1, 2], [1, 2], [2]]);
  assert.deepEqual(drops.map(d => [d.reason, d.messages]), [["attempts", [1]], ["attempts", [2]]]);
  assert.deepEqual(plain(api.stats()), counts({dropped: 2, retries: 4, drops: {attempts: 2}}));
});

test("attempts survive a reload: the next page goes on counting", async () => {
  const storage = fakeStorage(), jar = new Map();
  const first = setup({maxAttempts: 2}, {storage, jar, respond: () => "network"});
  first.api.track("go", 1);
  first.api.flush();
  await first.win.advance(0);
  assert.equal(first.win.requests.length, 1);
  assert.equal(JSON.parse(storage.getItem("xdm_q:" + INLET))[0].tries, 1);
  const second = setup({maxAttempts: 2}, {storage, jar, respond: () => ({status: 502})});
  await second.win.advance(60000);
  assert.equal(second.win.requests.length, 1);
  assert.deepEqual(second.drops.map(d => d.reason), ["attempts"]);
  assert.deepEqual(JSON.parse(storage.getItem("xdm_q:" + INLET)), []);
});

test("a beacon older than maxAgeHours is dropped, never sent (retries or consent pending)", async () => {
  // Retry-After one hour: sent at 0, 1 h and 2 h; at 3 h it is over two hours old.
  const retried = setup({maxAgeHours: 2, maxAttempts: 100}, {respond: () => ({status: 429, headers: {"retry-after": "3600"}})});
  retried.api.track("go", 1);
  retried.api.flush();
  await retried.win.advance(5 * HOUR);
  assert.deepEqual(retried.win.requests.map(r => r.messages.length), [1, 1, 1]);
  assert.deepEqual(retried.drops, [{reason: "age", detail: "queued over 2 h ago", messages: [1]}]);
  assert.deepEqual(plain(retried.api.stats()), counts({dropped: 1, retries: 3, drops: {age: 1}}));

  // Held by consent "pending" past the default 24 hours, with a fresher one behind it.
  const {win, api, drops} = setup({defaultConsent: "pending"});
  api.track("go", 1);
  await win.advance(23 * HOUR);
  api.track("go", 2);
  await win.advance(HOUR + 1);
  api.setConsent("in");
  await win.advance(0);
  assert.deepEqual(win.requests.map(ns), [[2]]);
  assert.deepEqual(drops.map(d => [d.reason, d.messages]), [["age", [1]]]);
  assert.deepEqual(plain(api.stats()), counts({sent: 1, accepted: 1, dropped: 1, drops: {age: 1}}));
});

test("a stale queue left by an earlier page is dropped on load", async () => {
  const storage = fakeStorage(), jar = new Map();
  const first = setup({defaultConsent: "pending"}, {storage, jar});
  first.api.track("go", 1);
  const second = setup({}, {storage, jar, now: first.win.clock.now + 25 * HOUR});
  await second.win.advance(60000);
  assert.equal(second.win.requests.length, 0);
  assert.deepEqual(second.drops.map(d => d.reason), ["age"]);
  assert.deepEqual(JSON.parse(storage.getItem("xdm_q:" + INLET)), []);
});

test("page hide after a suspended day hands nothing stale to sendBeacon", async () => {
  const {win, api, drops} = setup({flushIntervalMs: 60000});
  api.track("go", 1);
  win.clock.now += 25 * HOUR; // the machine slept: no timer ran
  win.dispatchEvent({type: "pagehide"});
  assert.equal(win.beacons.length, 0);
  assert.deepEqual(drops.map(d => d.reason), ["age"]);
  assert.deepEqual(plain(api.stats()), counts({dropped: 1, drops: {age: 1}}));
});

test("4xx other than 408 and 429 are final; 408, 429 and 5xx are retried", async () => {
  for (const status of [400, 401, 403, 404, 409, 413, 422]) {
    const {win, api, drops} = setup({}, {respond: () => ({status})});
    api.track("go", 1);
    api.track("go", 2);
    api.flush();
    await win.advance(HOUR);
    assert.equal(win.requests.length, 1, "status " + status);
    assert.deepEqual(drops, [{reason: "status", status, detail: "HTTP " + status, messages: [1, 2]}]);
    assert.deepEqual(plain(api.stats()), counts({dropped: 2, drops: {status: 2}}));
  }
  for (const status of [408, 429, 500, 502, 503, 504]) {
    let calls = 0;
    const {win, api, drops} = setup({}, {respond: req => (++calls < 3 ? {status} : accept(req))});
    api.track("go", 1);
    api.flush();
    await win.advance(HOUR);
    assert.equal(win.requests.length, 3, "status " + status);
    assert.deepEqual(drops, []);
    assert.deepEqual(plain(api.stats()), counts({sent: 1, accepted: 1, retries: 2}));
  }
});

test("in a 207, a retryable entry is sent again alone; a refused one is final", async () => {
  let round = 0;
  const respond = req => {
    round++;
    return {status: 207, body: {responses: req.messages.map((m, i) => {
      const n = m.body.xdmEntity.n;
      if (n === 2 && round === 1) return {xactionId: "a-" + i, status: 503, statusCode: 503, message: "Storage is not writable"};
      if (n === 3) return {xactionId: "a-" + i, status: 400, statusCode: 400, message: "Message has unknown xdm format"};
      return {xactionId: "a-" + i, validation: {status: "pass"}};
    })}};
  };
  const {win, api, drops} = setup({}, {respond});
  [1, 2, 3].forEach(i => api.track("go", i));
  api.flush();
  await win.advance(60000);
  assert.deepEqual(win.requests.map(ns), [[1, 2, 3], [2]]);
  assert.deepEqual(drops, [{reason: "status", status: 400, detail: "400 Message has unknown xdm format", messages: [3]}]);
  assert.deepEqual(plain(api.stats()), counts({sent: 2, accepted: 2, dropped: 1, retries: 1, drops: {status: 1}}));
});

test("on('drop') reports every reason, and stats() counts each", async () => {
  const {win, api, drops} = setup({maxQueue: 2, defaultConsent: "pending"});
  [1, 2, 3].forEach(i => api.track("go", i)); // 1 falls off the full queue
  api.track("go", "x".repeat(61000)); // too big to send at all
  api.setConsent("out"); // 2 and 3 are discarded
  assert.deepEqual(drops.map(d => [d.reason, d.messages.length]), [["queue", 1], ["size", 1], ["consent", 2]]);
  assert.deepEqual(drops.map(d => d.detail), ["queue full", "over 60000 bytes", "consent out"]);
  assert.deepEqual(plain(api.stats()), counts({dropped: 4, drops: {queue: 1, size: 1, consent: 2}}));
  assert.equal(win.requests.length, 0);
});

test("a queue stored by an older library (bare envelopes) is still sent", async () => {
  const storage = fakeStorage(), jar = new Map();
  const first = setup({defaultConsent: "pending"}, {storage, jar});
  [1, 2].forEach(i => first.api.track("go", i));
  const stored = JSON.parse(storage.getItem("xdm_q:" + INLET));
  assert.deepEqual(Object.keys(stored[0]).sort(), ["at", "message", "tries"]);
  storage.setItem("xdm_q:" + INLET, JSON.stringify(stored.map(x => x.message)));
  const second = setup({}, {storage, jar});
  await second.win.advance(0);
  assert.deepEqual(second.win.requests.map(ns), [[1, 2]]);
  assert.deepEqual(plain(second.api.stats()), counts({sent: 2, accepted: 2}));
});
