// The collector's per-message verdict: on("response") hands each beacon its status and
// validation verdict, stats() counts valid and invalid beacons, debug mode logs the invalid ones.
import assert from "node:assert/strict";
import test from "node:test";
import {accept, beaconRule, boot, config, counts, plain} from "./fake.mjs";

const FAIL = {
  status: "fail",
  count: 2,
  violations: [
    {schemaLocation: "#/properties/n", pointerToViolation: "#/n", causingExceptions: [],
      keyword: "type", message: "expected type: String, found: Long"},
    {schemaLocation: "#", pointerToViolation: "#", causingExceptions: [],
      keyword: "additionalProperties", message: "extraneous key [extra] is not permitted"},
  ],
};

function setup(extension = {}, opts = {}) {
  return boot(config({batchSize: 3, ...extension}, {rules: [beaconRule("go", [{path: "n", value: "%event.detail%"}])]}), opts);
}

// 207 entries by the beacon's n: "pass", "fail" (stored as invalid), a number (refused with that
// status), "none" (an entry without a verdict, as an older collector answers).
function collector(verdicts) {
  return req => ({status: 207, body: {responses: req.messages.map((m, i) => {
    const v = verdicts[m.body.xdmEntity.n], entry = {xactionId: "1:2:3-" + i};
    if (typeof v == "number") return {...entry, status: v, statusCode: v, message: "Message has unknown xdm format"};
    if (v == "fail") return {...entry, validation: FAIL};
    if (v == "pass") return {...entry, validation: {status: "pass"}};
    return entry;
  })}});
}

test("on('response') hands each beacon its status and verdict", async () => {
  const {win, api} = setup({}, {respond: collector({1: "pass", 2: "fail", 3: 400})});
  const responses = [];
  api.on("response", r => responses.push(r));
  [1, 2, 3].forEach(i => api.track("go", i));
  await win.advance(0);
  const [r] = responses;
  assert.equal(r.status, 207);
  assert.equal(r.results.length, 3);
  assert.deepEqual(r.results.map(x => x.beacon), r.messages); // in the order they were sent
  assert.deepEqual(plain(r.results.map(x => [x.beacon.body.xdmEntity.n, x.status, x.verdict])), [
    [1, 207, {status: "pass"}],
    [2, 207, FAIL],
    [3, 400, null],
  ]);
  assert.equal(r.results[2].message, "Message has unknown xdm format");
  assert.deepEqual(plain(api.stats()), counts({sent: 2, accepted: 1, invalid: 1, dropped: 1, drops: {status: 1}}));
});

test("a beacon that fails validation is stored, not dropped and not retried", async () => {
  const {win, api} = setup({}, {respond: collector({1: "fail"})});
  const drops = [];
  api.on("drop", d => drops.push(d));
  api.track("go", 1);
  await win.advance(120000);
  assert.equal(win.requests.length, 1);
  assert.deepEqual(drops, []);
  assert.deepEqual(plain(api.stats()), counts({sent: 1, invalid: 1}));
});

test("answers without a verdict count as accepted, with a null verdict", async () => {
  for (const respond of [collector({1: "none"}), () => ({status: 200, body: "not json"}), accept]) {
    const {win, api} = setup({}, {respond});
    const results = [];
    api.on("response", r => results.push(...r.results));
    api.track("go", 1);
    api.flush();
    await win.advance(0);
    assert.deepEqual(results.map(x => x.verdict), [null]);
    assert.ok([200, 207].includes(results[0].status));
    assert.deepEqual(plain(api.stats()), counts({sent: 1, accepted: 1}));
  }
});

test("a request that got no answer hands each beacon status 0 and no verdict", async () => {
  let calls = 0;
  const respond = req => (++calls === 1 ? "network" : collector({1: "pass", 2: "pass"})(req));
  const {win, api} = setup({}, {respond});
  const responses = [];
  api.on("response", r => responses.push(plain(r.results.map(x => [x.beacon.body.xdmEntity.n, x.status, x.verdict]))));
  [1, 2].forEach(i => api.track("go", i));
  api.flush();
  await win.advance(5000);
  assert.deepEqual(responses, [
    [[1, 0, null], [2, 0, null]],
    [[1, 207, {status: "pass"}], [2, 207, {status: "pass"}]],
  ]);
});

test("debug mode logs an invalid beacon with its violations; quiet otherwise", async () => {
  const quiet = setup({}, {respond: collector({1: "fail"})});
  quiet.api.track("go", 1);
  await quiet.win.advance(1000);
  assert.deepEqual(quiet.win.warnings, []);

  const {win, api, beacons} = setup({}, {respond: collector({1: "fail", 2: "pass"})});
  api.debug(true);
  [1, 2].forEach(i => api.track("go", i));
  await win.advance(1000);
  assert.equal(win.warnings.length, 1, win.warnings.join("\n"));
  const [line] = win.warnings;
  assert.ok(line.startsWith("[xdm-tag] stored, but invalid:"), line);
  assert.ok(line.includes(beacons[0].body.xdmEntity._id), line);
  assert.ok(line.includes("2 violation(s)"), line);
  assert.ok(line.includes("#/n type: expected type: String, found: Long"), line);
  assert.ok(line.includes("extraneous key [extra] is not permitted"), line);
});

test("hostile verdicts and a throwing console never break the queue", async () => {
  const junk = [
    {status: "fail"},
    {status: "fail", count: 1, violations: "not a list"},
    {status: "fail", count: 1, violations: [null, 5]},
    "fail",
    {status: "fail", count: "many", violations: [{pointerToViolation: {}, message: []}]},
  ];
  for (const validation of junk) {
    const respond = req => ({status: 207, body: {responses: req.messages.map(m => (
      m.body.xdmEntity.n === 1 ? {xactionId: "x", validation} : {xactionId: "y"}))}});
    const {win, api} = setup({debug: true}, {respond});
    win.console.warn = () => { throw new Error("console is broken"); };
    api.track("go", 1);
    api.flush();
    await win.advance(0);
    api.track("go", 2);
    api.flush();
    await win.advance(0);
    assert.equal(win.requests.length, 2);
    const st = plain(api.stats());
    assert.equal(st.sent, 2);
    assert.equal(st.queued, 0);
    assert.equal(st.accepted + st.invalid, 2);
  }
});
