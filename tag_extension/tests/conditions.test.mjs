// Each condition type, with negation, evaluated through a direct-call rule.
import assert from "node:assert/strict";
import test from "node:test";
import {boot, config, fakeStorage, fakeWindow} from "./fake.mjs";

const elements = {
  price: {type: "dataElements/queryParameter", settings: {name: "price"}},
  campaign: {type: "dataElements/queryParameter", settings: {name: "cid"}},
  minimum: {type: "dataElements/constant", settings: {value: 10}},
};

function passes(type, settings, opts = {}) {
  const fired = [];
  const rule = {
    name: opts.rule || "r",
    events: [{type: "events/directCall", settings: {name: "go"}}],
    conditions: [{type: "conditions/" + type, settings, negate: opts.negate}],
    actions: [],
  };
  const {api} = boot(config(opts.extension, {dataElements: elements, rules: [rule]}),
    {...opts, q: [["on", ["rule", ev => fired.push(ev.rule)]]]});
  api.track("go");
  return fired.length === 1;
}

const url = "https://shop.example.com/Products/shoes.html?cid=Spring-Sale&price=25&flag";

test("path: globs match the whole path, regexes search, case option", () => {
  assert.equal(passes("path", {patterns: ["/Products/*"]}, {url}), true);
  assert.equal(passes("path", {patterns: ["/Products/*.html"]}, {url}), true);
  assert.equal(passes("path", {patterns: ["/Products"]}, {url}), false);
  assert.equal(passes("path", {patterns: ["/checkout/*", "/Products/shoes.html"]}, {url}), true);
  assert.equal(passes("path", {patterns: ["/products/*"]}, {url}), false);
  assert.equal(passes("path", {patterns: ["/products/*"], caseInsensitive: true}, {url}), true);
  assert.equal(passes("path", {patterns: ["shoes\\.html$"], syntax: "regex"}, {url}), true);
  assert.equal(passes("path", {patterns: ["^/shoes"], syntax: "regex"}, {url}), false);
  assert.equal(passes("path", {patterns: ["https://shop.example.com/*cid=spring*"], target: "url", caseInsensitive: true}, {url}), true);
  assert.equal(passes("path", {patterns: ["/Products/*"]}, {url, negate: true}), false);
});

test("query parameter: equals, contains, startsWith, endsWith, regex, numbers, exists", () => {
  assert.equal(passes("queryParameter", {name: "cid", operator: "equals", value: "Spring-Sale"}, {url}), true);
  assert.equal(passes("queryParameter", {name: "cid", operator: "equals", value: "spring-sale"}, {url}), false);
  assert.equal(passes("queryParameter", {name: "cid", operator: "equals", value: "spring-sale", caseInsensitive: true}, {url}), true);
  assert.equal(passes("queryParameter", {name: "cid", operator: "contains", value: "Sale"}, {url}), true);
  assert.equal(passes("queryParameter", {name: "cid", operator: "startsWith", value: "Spring"}, {url}), true);
  assert.equal(passes("queryParameter", {name: "cid", operator: "endsWith", value: "Spring"}, {url}), false);
  assert.equal(passes("queryParameter", {name: "cid", operator: "regex", value: "^spring-\\w+$", caseInsensitive: true}, {url}), true);
  assert.equal(passes("queryParameter", {name: "price", operator: "greaterThan", value: 20}, {url}), true);
  assert.equal(passes("queryParameter", {name: "price", operator: "lessThan", value: 20}, {url}), false);
  assert.equal(passes("queryParameter", {name: "flag"}, {url}), true);
  assert.equal(passes("queryParameter", {name: "absent"}, {url}), false);
  assert.equal(passes("queryParameter", {name: "absent", operator: "equals", value: ""}, {url}), false);
  assert.equal(passes("queryParameter", {name: "absent"}, {url, negate: true}), true);
});

test("cookie: compares a cookie's decoded value", () => {
  const jar = new Map([["plan", {value: "gold%20plus"}], ["visits", {value: "7"}]]);
  assert.equal(passes("cookie", {name: "plan", operator: "equals", value: "gold plus"}, {jar}), true);
  assert.equal(passes("cookie", {name: "plan", operator: "startsWith", value: "GOLD", caseInsensitive: true}, {jar}), true);
  assert.equal(passes("cookie", {name: "visits", operator: "greaterThan", value: "5"}, {jar}), true);
  assert.equal(passes("cookie", {name: "lan"}, {jar}), false);
  assert.equal(passes("cookie", {name: "plan"}, {jar}), true);
});

test("value comparison: a data element against a value or another data element", () => {
  assert.equal(passes("valueComparison", {dataElement: "price", operator: "greaterThan", value: "%minimum%"}, {url}), true);
  assert.equal(passes("valueComparison", {dataElement: "price", operator: "lessThan", value: "%minimum%"}, {url}), false);
  assert.equal(passes("valueComparison", {dataElement: "campaign", operator: "contains", value: "-"}, {url}), true);
  assert.equal(passes("valueComparison", {dataElement: "campaign", operator: "exists"}, {url}), true);
  assert.equal(passes("valueComparison", {dataElement: "campaign", operator: "exists"}, {url: "https://x.example/"}), false);
  assert.equal(passes("valueComparison", {dataElement: "campaign", operator: "equals", value: "x"}, {url: "https://x.example/"}), false);
});

test("sampling: 0 and 100 percent, random draw, sticky per device and rule", () => {
  assert.equal(passes("sampling", {percentage: 100}, {random: 0.999}), true);
  assert.equal(passes("sampling", {percentage: 0}, {random: 0}), false);
  assert.equal(passes("sampling", {percentage: 50}, {random: 0.49}), true);
  assert.equal(passes("sampling", {percentage: 50}, {random: 0.51}), false);
  // sticky: the same device gets the same answer whatever Math.random says
  const jar = new Map([["xdm_ecid", {value: "12345678901234567890123456789012345678"}]]);
  const answers = [0, 0.3, 0.7, 0.99].map(random => passes("sampling", {percentage: 50, sticky: true}, {jar, random}));
  assert.equal(new Set(answers).size, 1);
  // and about the right share of devices is sampled in
  let inside = 0;
  for (let i = 0; i < 400; i++) {
    const id = String(i).padStart(38, "7");
    inside += passes("sampling", {percentage: 25, sticky: true}, {jar: new Map([["xdm_ecid", {value: id}]])});
  }
  assert.ok(inside > 60 && inside < 140, "sticky 25% sampled " + inside + " of 400 devices");
});

test("consent: the current consent state", () => {
  assert.equal(passes("consent", {value: "in"}), true);
  assert.equal(passes("consent", {value: "pending"}), false);
  assert.equal(passes("consent", {value: "pending"}, {extension: {defaultConsent: "pending"}}), true);
  const storage = fakeStorage({map: new Map([["xdm_consent", '"out"']])});
  assert.equal(passes("consent", {value: "out"}, {storage}), true);
});

test("all conditions must pass; a throwing condition fails its rule", () => {
  const fired = [];
  const rule = conditions => ({name: "r", events: [{type: "events/directCall", settings: {name: "go"}}], conditions, actions: []});
  const {api} = boot(config({}, {rules: [
    rule([{type: "conditions/sampling", settings: {percentage: 100}}, {type: "conditions/consent", settings: {value: "out"}}]),
    rule([{type: "conditions/path", settings: {patterns: ["("], syntax: "regex"}}]),
    rule([{type: "conditions/unknown", settings: {}}]),
  ]}), {win: fakeWindow(), q: [["on", ["rule", ev => fired.push(ev)]]]});
  api.track("go");
  assert.deepEqual(fired, []);
});
