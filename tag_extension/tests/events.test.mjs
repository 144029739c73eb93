// Each event type: when it fires and what it puts on the event object.
import assert from "node:assert/strict";
import test from "node:test";
import {boot, config, fakeWindow} from "./fake.mjs";

// Boots one rule per event type given; returns the fired rules' event objects.
function watch(events, opts = {}) {
  const fired = [];
  const rules = events.map((e, i) => ({name: e.name || "r" + i, events: [e], actions: []}));
  const q = [["on", ["rule", ev => fired.push(ev)]], ...(opts.q || [])];
  const {win, api} = boot(config({}, {rules}), {...opts, q});
  return {win, api, fired};
}

test("library loaded fires once, after queued snippet calls are replayed", () => {
  const order = [];
  const win = fakeWindow();
  const {fired} = watch([{type: "events/libraryLoaded", settings: {}}], {
    win,
    q: [["on", ["rule", () => order.push("rule")]], ["on", ["consent", c => order.push("consent " + c)]], ["setConsent", ["pending"]]],
  });
  assert.equal(fired.length, 1);
  assert.deepEqual(order, ["consent pending", "rule"]);
});

test("DOM ready: on DOMContentLoaded while loading, at start otherwise", () => {
  const loading = watch([{type: "events/domReady", settings: {}}], {readyState: "loading"});
  assert.equal(loading.fired.length, 0);
  loading.win.document.readyState = "interactive";
  loading.win.dom("DOMContentLoaded", loading.win.document);
  assert.equal(loading.fired.length, 1);
  assert.equal(loading.fired[0].event, "events/domReady");
  const ready = watch([{type: "events/domReady", settings: {}}], {readyState: "interactive"});
  assert.equal(ready.fired.length, 1);
});

test("window loaded: on load unless already complete", () => {
  const early = watch([{type: "events/windowLoaded", settings: {}}], {readyState: "interactive"});
  assert.equal(early.fired.length, 0);
  early.win.dispatchEvent({type: "load"});
  assert.equal(early.fired.length, 1);
  assert.equal(watch([{type: "events/windowLoaded", settings: {}}], {readyState: "complete"}).fired.length, 1);
});

test("click is delegated: matches the target or an ancestor, including later elements", () => {
  const {win, fired} = watch([{type: "events/click", settings: {selector: "a.buy"}}]);
  const d = win.document;
  const link = d.element("a", {class: "buy", href: "/cart"});
  const icon = d.element("span", {class: "icon"}, "", link);
  const other = d.element("a", {class: "more"});
  win.dom("click", icon);
  win.dom("click", other);
  win.dom("click", link);
  assert.equal(fired.length, 2);
  assert.equal(fired[0].element, link);
  assert.equal(fired[0].nativeEvent.target, icon);
});

test("custom event by name, optionally only from matching elements, with its detail", () => {
  const {win, fired} = watch([
    {name: "any", type: "events/customEvent", settings: {eventName: "cart:add"}},
    {name: "product", type: "events/customEvent", settings: {eventName: "cart:add", selector: "[data-sku]"}},
  ]);
  const d = win.document;
  const card = d.element("div", {"data-sku": "S-1"});
  const button = d.element("button", {}, "Add", card);
  win.dom("cart:add", button, {detail: {qty: 2}});
  win.dom("cart:add", win, {detail: {qty: 1}});
  win.dom("cart:remove", button);
  assert.deepEqual(fired.map(e => e.rule), ["any", "product", "any"]);
  assert.equal(fired[1].element, card);
  assert.deepEqual(fired[1].detail, {qty: 2});
});

test("direct call matches the name and passes the detail", () => {
  const {api, fired} = watch([{type: "events/directCall", settings: {name: "purchase"}}]);
  api.track("view");
  api.track("purchase", {total: 10});
  assert.equal(fired.length, 1);
  assert.deepEqual(fired[0].detail, {total: 10});
});

test("history change: pushState, replaceState, popstate and hashchange that change the URL", () => {
  const {win, fired} = watch([{type: "events/historyChange", settings: {}}], {url: "https://app.example.com/home"});
  assert.equal(win.history.pushState({}, "", "/products"), undefined);
  win.history.replaceState({}, "", "/products");
  win.history.replaceState({}, "", "/products?page=2");
  win.navigate("/products?page=2#reviews");
  win.dispatchEvent({type: "hashchange"});
  win.dispatchEvent({type: "popstate"});
  win.navigate("/home");
  win.dispatchEvent({type: "popstate"});
  assert.deepEqual(fired.map(e => e.detail.url), [
    "https://app.example.com/products",
    "https://app.example.com/products?page=2",
    "https://app.example.com/products?page=2#reviews",
    "https://app.example.com/home",
  ]);
  assert.equal(fired[0].detail.from, "https://app.example.com/home");
});

test("time on page fires once after the given seconds", async () => {
  const {win, fired} = watch([{type: "events/timeOnPage", settings: {seconds: 30}}]);
  await win.advance(29999);
  assert.equal(fired.length, 0);
  await win.advance(1);
  assert.equal(fired.length, 1);
  await win.advance(60000);
  assert.equal(fired.length, 1);
});

test("an event module that throws at setup leaves the other rules working", () => {
  const {api, fired} = watch([
    {type: "events/domReady", settings: {}},
    {type: "events/nope", settings: {}},
    {type: "events/directCall", settings: {name: "x"}},
  ], {win: Object.assign(fakeWindow(), {document: null})});
  api.track("x");
  assert.equal(fired.length, 1);
});
