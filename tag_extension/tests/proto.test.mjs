// Keys named __proto__, constructor or prototype in a published configuration (data element
// names, settings objects) or given at run time (identity namespaces, event names, mapping
// paths) never become, or reach, a prototype: the configuration is run as published, through
// the library text, because an object literal's "__proto__" key is what sets a prototype.
import assert from "node:assert/strict";
import test from "node:test";
import {library, runLibrary} from "../build.mjs";
import {beaconRule, config, fakeWindow} from "./fake.mjs";

// JSON.parse gives own "__proto__" keys, as a configuration read from JSON has.
const hostile = JSON.parse(JSON.stringify(config({}, {
  dataElements: {
    PROTO: {type: "dataElements/constant", settings: {value: "own value"}},
    constructor: {type: "dataElements/constant", settings: {value: "constructed"}},
  },
  rules: [beaconRule("go", [
    {path: "a", value: "%PROTO%"},
    {path: "b", value: "%constructor%"},
    {path: "c", value: {PROTO: {injected: true}, kept: 1}},
    {path: "PROTO.polluted", value: "yes"},
    {path: "d.constructor.prototype.polluted", value: "yes"},
  ])],
})).replaceAll("PROTO", "__proto__"));

function boot(cfg) {
  const win = fakeWindow();
  const beacons = [];
  win._xdmTag = {q: [["on", ["beacon", m => beacons.push(JSON.parse(JSON.stringify(m)))]]]};
  runLibrary(library(cfg), win);
  return {win, api: win._xdmTag, beacons};
}

test("a data element named __proto__ or constructor is an ordinary data element", () => {
  const {api, beacons} = boot(hostile);
  api.track("go");
  const e = beacons[0].body.xdmEntity;
  assert.equal(e.a, "own value");
  assert.equal(e.b, "constructed");
});

test("a data element that is not defined has no value, even one named like a prototype", () => {
  const cfg = JSON.parse(JSON.stringify(config({}, {rules: [beaconRule("go", [{path: "v", value: "1"}], {
    conditions: [{type: "conditions/valueComparison",
      settings: {dataElement: "toString", operator: "exists", value: ""}}],
  })]})));
  const {api, beacons} = boot(cfg);
  api.track("go");
  assert.equal(beacons.length, 0);
});

test("a __proto__ key in settings is not a prototype and adds nothing", () => {
  const {api, beacons} = boot(hostile);
  api.track("go");
  const c = beacons[0].body.xdmEntity.c;
  assert.equal(c.kept, 1);
  assert.equal(c.injected, undefined);
});

test("mapping paths through __proto__ or constructor pollute nothing", () => {
  const {api, beacons} = boot(hostile);
  api.track("go");
  const e = beacons[0].body.xdmEntity;
  assert.equal(e.polluted, undefined);
  assert.equal(Object.hasOwn(e, "__proto__"), false);
  // an object made by the runtime's realm after the beacon
  assert.equal(api.stats().polluted, undefined);
});

test("identity namespaces and event names named like prototypes are refused or harmless", () => {
  const {api, beacons} = boot(JSON.parse(JSON.stringify(config({}, {rules: [beaconRule("go")]}))));
  for (const ns of ["__proto__", "constructor", "prototype"]) api.setIdentity(ns, "x");
  api.setIdentity("Email", "ada@example.com");
  let heard = 0;
  api.on("__proto__", () => heard++);
  api.on("constructor", () => heard++);
  api.track("go");
  assert.equal(beacons.length, 1);
  const m = beacons[0].body.xdmEntity.identityMap;
  assert.deepEqual(Object.keys(m).filter(k => k != "ECID"), ["Email"]);
  assert.deepEqual(m.Email, [{id: "ada@example.com", authenticatedState: "authenticated"}]);
  assert.equal(api.stats().polluted, undefined);
  assert.equal(heard, 0);
});
