// Each data element type, read through a beacon mapping `v = %x%`.
import assert from "node:assert/strict";
import test from "node:test";
import {beaconRule, boot, config, fakeStorage, fakeWindow} from "./fake.mjs";

function valueOf(type, settings, opts = {}) {
  const x = {type: "dataElements/" + type, settings, ...(opts.default !== undefined && {default: opts.default})};
  const {win, api, beacons} = boot(config({}, {dataElements: {x}, rules: [beaconRule("go", [{path: "v", value: "%x%"}])]}), opts);
  if (opts.before) opts.before(win);
  api.track("go");
  return beacons[0].body.xdmEntity.v;
}

test("constant keeps any JSON type", () => {
  assert.equal(valueOf("constant", {value: "web"}), "web");
  assert.equal(valueOf("constant", {value: 12.5}), 12.5);
  assert.equal(valueOf("constant", {value: false}), false);
  assert.deepEqual(valueOf("constant", {value: {a: [1, 2]}}), {a: [1, 2]});
});

test("cookie, with the default when absent", () => {
  const jar = new Map([["plan", {value: "gold%20plus"}], ["xplan", {value: "no"}]]);
  assert.equal(valueOf("cookie", {name: "plan"}, {jar}), "gold plus");
  assert.equal(valueOf("cookie", {name: "lan"}, {jar}), undefined);
  assert.equal(valueOf("cookie", {name: "lan"}, {jar, default: "none"}), "none");
});

test("query parameter", () => {
  const url = "https://shop.example.com/?q=Red+Shoes&tag=a%2Fb&empty=";
  assert.equal(valueOf("queryParameter", {name: "q"}, {url}), "Red Shoes");
  assert.equal(valueOf("queryParameter", {name: "tag"}, {url}), "a/b");
  assert.equal(valueOf("queryParameter", {name: "empty"}, {url, default: "d"}), "d");
  assert.equal(valueOf("queryParameter", {name: "none"}, {url}), undefined);
});

test("JavaScript variable by dot path with indices", () => {
  const digitalData = {page: {name: "Home"}, products: [{sku: "A"}, {sku: "B"}]};
  const win = () => Object.assign(fakeWindow(), {digitalData});
  assert.equal(valueOf("jsVariable", {path: "digitalData.page.name"}, {win: win()}), "Home");
  assert.equal(valueOf("jsVariable", {path: "window.digitalData.products[1].sku"}, {win: win()}), "B");
  assert.equal(valueOf("jsVariable", {path: "digitalData.nothing.here"}, {win: win()}), undefined);
});

test("page info", () => {
  const opts = {url: "https://shop.example.com/cart?x=1", title: "Cart", referrer: "https://a.example/"};
  assert.equal(valueOf("pageInfo", {attribute: "url"}, opts), "https://shop.example.com/cart?x=1");
  assert.equal(valueOf("pageInfo", {attribute: "hostname"}, opts), "shop.example.com");
  assert.equal(valueOf("pageInfo", {attribute: "path"}, opts), "/cart");
  assert.equal(valueOf("pageInfo", {attribute: "title"}, opts), "Cart");
  assert.equal(valueOf("pageInfo", {attribute: "referrer"}, opts), "https://a.example/");
  assert.equal(valueOf("pageInfo", {attribute: "language"}, opts), "en-GB");
});

test("DOM attribute or text of the first match", () => {
  const page = () => {
    const win = fakeWindow();
    const d = win.document;
    d.element("h1", {class: "title", "data-sku": "S-9"}, "  Red shoes \n");
    d.element("h1", {class: "title"}, "second");
    return win;
  };
  assert.equal(valueOf("domAttribute", {selector: "h1.title", attribute: "data-sku"}, {win: page()}), "S-9");
  assert.equal(valueOf("domAttribute", {selector: "h1.title"}, {win: page()}), "Red shoes");
  assert.equal(valueOf("domAttribute", {selector: "#missing"}, {win: page()}), undefined);
});

test("local storage item", () => {
  const storage = fakeStorage({map: new Map([["plan", "gold"]])});
  assert.equal(valueOf("localStorage", {key: "plan"}, {storage}), "gold");
  assert.equal(valueOf("localStorage", {key: "nope"}, {storage, default: "free"}), "free");
  assert.equal(valueOf("localStorage", {key: "plan"}, {storage: fakeStorage({throws: true}), default: "off"}), "off");
});

test("data layer path: the latest pushed value", () => {
  const layered = (name = "dataLayer") => {
    const win = fakeWindow();
    win[name] = [{page: {type: "home"}}, {event: "x"}, {page: {type: "product", sku: "A"}}, {page: {sku: "B"}}];
    return win;
  };
  assert.equal(valueOf("dataLayer", {path: "page.type"}, {win: layered()}), "product");
  assert.equal(valueOf("dataLayer", {path: "page.sku"}, {win: layered()}), "B");
  assert.equal(valueOf("dataLayer", {path: "event"}, {win: layered()}), "x");
  assert.equal(valueOf("dataLayer", {path: "page.type", layer: "myLayer"}, {win: layered("myLayer")}), "product");
  assert.equal(valueOf("dataLayer", {path: "page.type"}), undefined);
  // pushes after load are seen
  assert.equal(valueOf("dataLayer", {path: "user.tier"}, {win: layered(), before: w => w.dataLayer.push({user: {tier: 2}})}), 2);
});

test("device id: the ECID-like cookie value", () => {
  const jar = new Map();
  const v = valueOf("deviceId", {}, {jar});
  assert.match(v, /^\d{38}$/);
  assert.equal(jar.get("xdm_ecid").value, v);
});

test("a throwing data element yields its default", () => {
  assert.equal(valueOf("jsVariable", {path: 7}, {default: "fallback"}), "fallback");
  assert.equal(valueOf("domAttribute", {selector: "a b"}, {default: "fallback"}), "fallback");
});
