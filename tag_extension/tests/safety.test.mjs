// The embed snippet, the whole library as published, the device id cookie, and the promise
// that nothing the runtime does throws into the host page.
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {join} from "node:path";
import test from "node:test";
import vm from "node:vm";
import {allModules, library, root, runLibrary} from "../build.mjs";
import {INLET, SCHEMA, accept, beaconRule, boot, config, fakeStorage, fakeWindow, plain, start} from "./fake.mjs";

const snippet = readFileSync(join(root, "snippet.js"), "utf8");

function page(opts) {
  const win = fakeWindow(opts);
  vm.runInContext(snippet, vm.createContext({window: win}));
  return win;
}

const demo = config({}, {
  dataElements: {email: {type: "dataElements/queryParameter", settings: {name: "email"}}},
  rules: [
    beaconRule("go", [{path: "n", value: "%event.detail%"}]),
    {name: "login", events: [{type: "events/directCall", settings: {name: "login"}}],
      actions: [{type: "actions/setIdentity", settings: {namespace: "Email", id: "%email%"}}]},
  ],
});

test("calls made through the snippet before load are replayed in order", async () => {
  const win = page({url: "https://shop.example.com/?email=ada%40example.com", defaultConsent: "pending"});
  const stub = win._xdmTag;
  const seen = [];
  stub.on("beacon", m => seen.push(m.body.xdmEntity.n));
  stub.setConsent("pending");
  stub.track("go", 1);
  stub.track("login");
  stub.setConsent("in");
  stub.track("go", 2);
  assert.equal(stub.q.length, 6);
  runLibrary(library(demo), win);
  assert.notEqual(win._xdmTag, stub);
  assert.deepEqual(seen, [1, 2]);
  await win.advance(1000);
  const msgs = win.requests.flatMap(r => r.messages);
  assert.deepEqual(msgs.map(m => m.body.xdmEntity.n), [1, 2]);
  // the identity was set between the two beacons
  assert.equal(msgs[0].body.xdmEntity.identityMap.Email, undefined);
  assert.deepEqual(msgs[1].body.xdmEntity.identityMap.Email, [{id: "ada@example.com", authenticatedState: "authenticated"}]);
  // after load the snippet's methods are the runtime's
  win._xdmTag.track("go", 3);
  await win.advance(1000);
  assert.equal(win.requests.flatMap(r => r.messages).length, 3);
});

test("the library keeps only the modules its configuration uses, and runs once per page", () => {
  const code = library(demo);
  assert.match(code, /M\["events\/directCall"\]/);
  assert.match(code, /M\["dataElements\/queryParameter"\]/);
  assert.doesNotMatch(code, /M\["events\/click"\]/);
  const win = page();
  runLibrary(code, win);
  const first = win._xdmTag;
  runLibrary(library(demo, allModules()), win);
  assert.equal(win._xdmTag, first);
  const cookieWrites = win.document.cookieWrites.length;
  assert.ok(cookieWrites <= 1);
});

test("the device id cookie: 38 digits, first party, SameSite=Lax, lifetime and domain from configuration", () => {
  const jar = new Map();
  const {win, api} = boot(config({cookieDomain: "example.com", cookieLifetimeDays: 30}), {jar});
  const id = api.getDeviceId();
  assert.match(id, /^\d{38}$/);
  assert.deepEqual(win.document.cookieWrites, [
    "xdm_ecid=" + id + "; path=/; max-age=2592000; SameSite=Lax; domain=example.com; Secure",
  ]);
  assert.equal(api.getDeviceId(), id);
  // the next page reuses it and refreshes its lifetime; http pages get no Secure flag
  const next = boot(config(), {jar, url: "http://shop.example.com/"});
  assert.equal(next.api.getDeviceId(), id);
  assert.deepEqual(next.win.document.cookieWrites, ["xdm_ecid=" + id + "; path=/; max-age=33696000; SameSite=Lax"]);
  // a malformed value is replaced
  jar.set("xdm_ecid", {value: "%E0%A4%A"});
  const fixed = boot(config(), {jar}).api.getDeviceId();
  assert.match(fixed, /^\d{38}$/);
  assert.notEqual(fixed, id);
});

test("debug(true) reports swallowed errors on the console; silent otherwise", () => {
  const throwing = config({}, {rules: [{name: "bad", events: [{type: "events/directCall", settings: {name: "x"}}],
    actions: [{type: "actions/unknown", settings: {}}]}]});
  const {win, api} = boot(throwing);
  api.track("x");
  assert.deepEqual(win.warnings, []);
  api.debug(true);
  api.track("x");
  assert.equal(win.warnings.length, 1);
  assert.match(win.warnings[0], /^\[xdm-tag\] TypeError/);
  api.debug(false);
  api.track("x");
  api.debug(0);
  api.track("x");
  assert.equal(win.warnings.length, 1);
});

const PUBLIC = api => [
  () => api.track("go", 1),
  () => api.track(),
  () => api.track({toString: () => { throw new Error("boom"); }}),
  () => api.setConsent("in"),
  () => api.setConsent(Symbol("x")),
  () => api.setIdentity("Email", "a@example.com"),
  () => api.setIdentity(null, undefined),
  () => api.flush(),
  () => api.getDeviceId(),
  () => api.stats(),
  () => api.on("beacon", () => { throw new Error("observer"); }),
  () => api.on(),
  () => api.debug(true),
];

// Every public entry point, then the page's own events, must return normally.
async function survive(win, cfg = config({}, {rules: [beaconRule("go")]})) {
  const api = start(win, cfg) || {};
  for (const call of PUBLIC(api)) if (api.track) assert.doesNotThrow(call);
  for (const type of ["pagehide", "online", "load"]) assert.doesNotThrow(() => win.dispatchEvent({type}));
  if (win.document) assert.doesNotThrow(() => win.document.dispatchEvent({type: "visibilitychange"}));
  await win.advance(120000);
  return api;
}

test("broken fetch (throwing, rejecting, answering garbage) is retried, then recovers", async () => {
  const variants = [
    () => { throw new Error("fetch exploded"); },
    () => ({not: "a promise"}),
    () => Promise.resolve({status: 207}),
    () => Promise.resolve({status: 200, json: () => { throw new Error("bad json"); }}),
    () => Promise.resolve(null),
    () => Promise.reject(new Error("offline")),
    undefined,
  ];
  for (const broken of variants) {
    const win = fakeWindow();
    const good = win.fetch;
    win.fetch = broken;
    const api = await survive(win);
    win.fetch = good;
    api.track("go", 2);
    await win.advance(120000);
    assert.ok(win.requests.length >= 1);
    assert.equal(plain(api.stats()).queued, 0);
  }
});

test("hostile environment: storage, cookies, crypto, console and DOM that throw", async () => {
  const cookieThrows = fakeWindow();
  Object.defineProperty(cookieThrows.document, "cookie", {get() { throw new Error("no"); }, set() { throw new Error("no"); }});
  const cryptoThrows = fakeWindow({crypto: {getRandomValues() { throw new Error("no"); }, randomUUID() { throw new Error("no"); }}});
  const noConsole = fakeWindow();
  noConsole.console = undefined;
  const noDocument = fakeWindow();
  noDocument.document = undefined;
  const storageThrows = fakeWindow({storage: fakeStorage({throws: true})});
  const storageJunk = fakeWindow({storage: fakeStorage({map: new Map([
    ["xdm_q:" + INLET, '{"not": "a list"}'], ["xdm_ids", "[1,2]"], ["xdm_consent", "{"]])})});
  for (const win of [cookieThrows, cryptoThrows, noConsole, noDocument, storageThrows, storageJunk]) await survive(win);
  // beacons still go out from memory without storage, and without cookies
  assert.ok(storageThrows.requests.length >= 1);
  assert.ok(cookieThrows.requests.length >= 1);
  assert.ok(storageJunk.requests.length >= 1);
});

test("broken configuration never throws", async () => {
  for (const cfg of [null, {}, {rules: "nope"}, {extension: null}, {rules: [null, {events: [{}]}]}]) {
    const win = fakeWindow();
    assert.doesNotThrow(() => start(win, cfg));
  }
  // one broken rule or queued snippet call does not stop the others
  const fired = [];
  const mixed = config({}, {rules: [null, {name: "no events"}, {name: "ok", events: [{type: "events/directCall", settings: {name: "go"}}]}]});
  const page = fakeWindow();
  page._xdmTag = {q: [null, ["nope", []], ["on", ["rule", ev => fired.push(ev.rule)]], ["track", ["go"]]]};
  assert.doesNotThrow(() => start(page, mixed));
  assert.deepEqual(fired, ["ok"]);
  assert.doesNotThrow(() => start({}, config()));
  // a throwing rule module does not stop the other rules or actions
  const cfg = config({}, {rules: [
    {name: "a", events: [{type: "events/directCall", settings: {name: "go"}}],
      actions: [{type: "actions/sendBeacon", settings: {schemaId: SCHEMA, mapping: "not a list"}},
        {type: "actions/sendBeacon", settings: {schemaId: SCHEMA, mapping: [{path: "ok", value: 1}]}}]},
  ]});
  const {win, api} = boot(cfg, {respond: accept});
  assert.doesNotThrow(() => api.track("go"));
  await win.advance(1000);
  assert.deepEqual(win.requests.flatMap(r => r.messages.map(m => m.body.xdmEntity.ok)), [1]);
});
