// The beacon queue and its transport: batching, bounds, persistence, retries, status codes,
// body size limits and page-hide delivery.
import assert from "node:assert/strict";
import test from "node:test";
import {INLET, accept, beaconRule, boot, config, counts, fakeStorage, fakeWindow, plain, sent} from "./fake.mjs";

const URL_ = "https://collect.example.com/collection/batch/" + INLET;

// A runtime with a direct-call rule "go" whose beacon carries `n` = the call's detail.
function setup(extension = {}, opts = {}) {
  const cfg = config({batchSize: 3, flushIntervalMs: 1000, ...extension}, {rules: [
    beaconRule("go", [{path: "n", value: "%event.detail%"}]),
    beaconRule("big", [{path: "blob", value: "%event.detail%"}]),
  ]});
  return boot(cfg, opts);
}

const ns = list => list.map(m => m.body.xdmEntity.n);

test("beacons are batched by size and interval into text/plain keepalive POSTs", async () => {
  const {win, api} = setup();
  api.track("go", 1);
  api.track("go", 2);
  await win.advance(999);
  assert.equal(win.requests.length, 0);
  await win.advance(1);
  assert.equal(win.requests.length, 1);
  const [req] = win.requests;
  assert.equal(req.url, URL_);
  assert.deepEqual(plain({...req.init, body: undefined}),
    {method: "POST", keepalive: true, headers: {"content-type": "text/plain"}});
  assert.deepEqual(Object.keys(JSON.parse(req.init.body)), ["messages"]);
  assert.deepEqual(ns(req.messages), [1, 2]);
  api.track("go", 3);
  api.track("go", 4);
  api.track("go", 5); // a full batch leaves at once
  await win.advance(0);
  assert.deepEqual(ns(win.requests[1].messages), [3, 4, 5]);
  assert.deepEqual(plain(api.stats()), counts({sent: 5, accepted: 5}));
});

test("one request at a time; the rest follows the answer", async () => {
  let release;
  const gate = new Promise(r => { release = r; });
  const win = fakeWindow();
  win.fetch = (url, init) => {
    win.requests.push({url, init, messages: JSON.parse(init.body).messages});
    return gate.then(() => new Response(JSON.stringify({responses: []}), {status: 207}));
  };
  const {api} = setup({}, {win});
  for (let i = 1; i <= 7; i++) api.track("go", i);
  await win.advance(5000);
  assert.equal(win.requests.length, 1);
  assert.equal(plain(api.stats()).queued, 7);
  release();
  await win.advance(0);
  assert.deepEqual(win.requests.map(r => ns(r.messages)), [[1, 2, 3], [4, 5, 6], [7]]);
  assert.equal(plain(api.stats()).queued, 0);
});

test("the queue is bounded: the oldest beacons are dropped and counted", async () => {
  const {win, api} = setup({maxQueue: 5, defaultConsent: "pending"});
  const drops = [];
  api.on("drop", d => drops.push(d));
  for (let i = 1; i <= 8; i++) api.track("go", i);
  assert.deepEqual(plain(api.stats()), counts({queued: 5, dropped: 3, drops: {queue: 3}}));
  assert.deepEqual(plain(drops.map(d => [d.reason, ns(d.messages)])), [["queue", [1]], ["queue", [2]], ["queue", [3]]]);
  assert.ok(win.warnings.some(w => w.includes("queue full")));
  api.setConsent("in");
  await win.advance(0);
  assert.deepEqual(sent(win).map(m => m.body.xdmEntity.n), [4, 5, 6, 7, 8]);
});

test("the queue survives a reload: a new runtime sends what the old one left", async () => {
  const storage = fakeStorage(), jar = new Map();
  const first = setup({defaultConsent: "pending"}, {storage, jar});
  [1, 2, 3, 4].forEach(i => first.api.track("go", i));
  const ids = first.beacons.map(m => m.body.xdmEntity._id);
  assert.equal(first.win.requests.length, 0);
  const second = setup({}, {storage, jar});
  assert.equal(plain(second.api.stats()).queued, 4);
  await second.win.advance(0);
  assert.deepEqual(second.win.requests.map(r => r.messages.length), [3, 1]);
  assert.deepEqual(sent(second.win).map(m => m.body.xdmEntity._id), ids);
  const device = second.win.document.jar.get("xdm_ecid").value;
  assert.ok(sent(second.win).every(m => m.body.xdmEntity.identityMap.ECID[0].id === device));
  assert.deepEqual(JSON.parse(storage.getItem("xdm_q:" + INLET)), []);
});

test("a beacon in flight is persisted until it is answered", async () => {
  const storage = fakeStorage();
  const win = fakeWindow({storage});
  win.fetch = () => new Promise(() => {}); // never answers: the page goes away first
  const {api} = setup({}, {win});
  api.track("go", 1);
  api.flush();
  await win.advance(0);
  const again = setup({}, {storage});
  await again.win.advance(0);
  assert.deepEqual(ns(sent(again.win)), [1]);
  assert.equal(plain(api.stats()).queued, 1);
});

test("429 and 503 honour Retry-After seconds", async () => {
  for (const status of [429, 503]) {
    let calls = 0;
    const respond = req => (++calls === 1 ? {status, headers: {"Retry-After": "7"}} : accept(req));
    const {win, api} = setup({}, {respond});
    api.track("go", 1);
    api.flush();
    await win.advance(6999);
    api.flush(); // a back-off is not cut short by flush()
    await win.advance(0);
    assert.equal(win.requests.length, 1);
    assert.equal(plain(api.stats()).queued, 1);
    await win.advance(1);
    assert.equal(win.requests.length, 2);
    assert.deepEqual(plain(api.stats()), counts({sent: 1, accepted: 1, retries: 1}));
  }
});

test("without Retry-After, back-off doubles with jitter up to a minute", async () => {
  const times = [];
  for (const random of [0, 0.999]) {
    const at = [];
    const {win, api} = setup({}, {random, respond: () => (at.push(win.clock.now), {status: 500})});
    api.track("go", 1);
    api.flush();
    await win.advance(10 * 60 * 1000);
    times.push(at.slice(1).map((t, i) => t - at[i]));
    assert.ok(plain(api.stats()).retries >= 10);
  }
  const [low, high] = times;
  // jitter keeps each delay within [half, full] of 1 s * 2^n, capped at 60 s
  assert.deepEqual(low.slice(0, 8), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.deepEqual(high.slice(0, 8).map(Math.round), [1000, 1999, 3998, 7996, 15992, 31984, 59970, 59970]);
});

test("network errors and 408 are retried; online retries a network failure at once", async () => {
  let mode = "network";
  const respond = req => (mode === "network" ? "network" : mode === "408" ? {status: 408} : accept(req));
  const {win, api} = setup({}, {respond});
  api.track("go", 1);
  api.flush();
  await win.advance(100);
  assert.equal(win.requests.length, 1);
  mode = "ok";
  win.dispatchEvent({type: "online"});
  await win.advance(0);
  assert.equal(win.requests.length, 2);
  assert.equal(plain(api.stats()).sent, 1);
  mode = "408";
  api.track("go", 2);
  api.flush();
  await win.advance(0);
  mode = "ok";
  win.dispatchEvent({type: "online"}); // not a network failure: the back-off stands
  await win.advance(0);
  assert.equal(win.requests.length, 3);
  await win.advance(1000);
  assert.equal(win.requests.length, 4);
  assert.deepEqual(plain(api.stats()), counts({sent: 2, accepted: 2, retries: 2}));
});

test("400, 401, 403, 404 and 413 drop the batch with a warning and no retry", async () => {
  for (const status of [400, 401, 403, 404, 413]) {
    const {win, api} = setup({}, {respond: () => ({status, body: {title: "nope"}})});
    api.track("go", 1);
    api.track("go", 2);
    api.flush();
    await win.advance(120000);
    assert.equal(win.requests.length, 1, "status " + status);
    assert.deepEqual(plain(api.stats()), counts({dropped: 2, drops: {status: 2}}));
    assert.ok(win.warnings.some(w => w.includes("HTTP " + status)), win.warnings.join("\n"));
  }
});

test("207: failed entries are dropped with a warning, their siblings count as sent", async () => {
  const respond = req => ({status: 207, body: {responses: req.messages.map((m, i) => (i === 1
    ? {xactionId: "1:2:3-1", status: 400, statusCode: 400, message: "Message is invalid"}
    : {xactionId: "1:2:3-" + i}))}});
  const {win, api} = setup({}, {respond});
  const answers = [];
  api.on("response", r => answers.push(r));
  [1, 2, 3].forEach(i => api.track("go", i));
  await win.advance(0);
  assert.deepEqual(plain(api.stats()), counts({sent: 2, accepted: 2, dropped: 1, drops: {status: 1}}));
  assert.ok(win.warnings.some(w => w.includes("400 Message is invalid")));
  assert.equal(answers[0].status, 207);
  assert.equal(answers[0].body.responses[1].status, 400);
  assert.deepEqual(plain(ns(answers[0].messages)), [1, 2, 3]);
});

test("200 with any body is success", async () => {
  const {win, api} = setup({}, {respond: () => ({status: 200, body: "not json"})});
  api.track("go", 1);
  api.flush();
  await win.advance(0);
  assert.deepEqual(plain(api.stats()), counts({sent: 1, accepted: 1}));
});

test("request bodies stay under 64 KB; a single oversized beacon is dropped", async () => {
  const {win, api} = setup({batchSize: 20});
  const blob = "x".repeat(25000);
  [1, 2, 3, 4, 5].forEach(() => api.track("big", blob));
  api.track("big", "é".repeat(40000)); // 80,000 bytes in UTF-8
  assert.equal(plain(api.stats()).dropped, 1);
  assert.ok(win.warnings.some(w => w.includes("over 60000 bytes")));
  await win.advance(1000);
  assert.deepEqual(win.requests.map(r => r.messages.length), [2, 2, 1]);
  for (const r of win.requests) assert.ok(Buffer.byteLength(r.init.body) <= 60000);
});

test("page hide hands the queue to sendBeacon, split under the size limit", async () => {
  for (const hide of ["pagehide", "visibilitychange"]) {
    const {win, api} = setup({batchSize: 20});
    [1, 2, 3].forEach(i => api.track("go", i));
    [1, 2, 3].forEach(() => api.track("big", "y".repeat(25000)));
    if (hide === "pagehide") win.dispatchEvent({type: "pagehide"});
    else {
      win.document.visibilityState = "visible";
      win.document.dispatchEvent({type: "visibilitychange"});
      assert.equal(win.beacons.length, 0);
      win.document.visibilityState = "hidden";
      win.document.dispatchEvent({type: "visibilitychange"});
    }
    assert.deepEqual(win.beacons.map(b => b.messages.length), [5, 1]);
    assert.equal(win.beacons[0].url, URL_);
    assert.ok(win.beacons.every(b => Buffer.byteLength(b.body) <= 60000));
    assert.deepEqual(plain(api.stats()), counts({sent: 6}));
    await win.advance(5000);
    assert.equal(win.requests.length, 0);
  }
});

test("page hide keeps what sendBeacon refuses, and holds during consent pending or a back-off", async () => {
  const storage = fakeStorage();
  const refusing = setup({}, {storage, beaconOk: () => false});
  refusing.api.track("go", 1);
  refusing.win.dispatchEvent({type: "pagehide"});
  assert.equal(refusing.win.beacons.length, 1);
  assert.equal(JSON.parse(storage.getItem("xdm_q:" + INLET)).length, 1);

  const pending = setup({defaultConsent: "pending"});
  pending.api.track("go", 1);
  pending.win.dispatchEvent({type: "pagehide"});
  assert.equal(pending.win.beacons.length, 0);

  const backoff = setup({}, {respond: () => ({status: 429, headers: {"retry-after": "30"}})});
  backoff.api.track("go", 1);
  backoff.api.flush();
  await backoff.win.advance(0);
  backoff.win.dispatchEvent({type: "pagehide"});
  assert.equal(backoff.win.beacons.length, 0);
  assert.equal(plain(backoff.api.stats()).queued, 1);

  const noBeacon = setup({}, {sendBeacon: null});
  noBeacon.api.track("go", 1);
  noBeacon.win.dispatchEvent({type: "pagehide"});
  assert.equal(plain(noBeacon.api.stats()).queued, 1);
});

test("observers see beacons, sends and responses", async () => {
  const {win, api} = setup();
  const seen = [];
  for (const name of ["beacon", "send", "response"]) api.on(name, x => seen.push(name + ":" + (x.transport || x.status || x.body.xdmEntity.n)));
  const off = api.on("beacon", () => seen.push("second observer"));
  api.track("go", 1);
  off();
  api.track("go", 2);
  api.flush();
  await win.advance(0);
  assert.deepEqual(seen, ["beacon:1", "second observer", "beacon:2", "send:fetch", "response:207"]);
});
