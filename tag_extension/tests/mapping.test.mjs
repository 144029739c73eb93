// Send Beacon: mapping rows, data element references, generated fields, identities, envelope.
import assert from "node:assert/strict";
import test from "node:test";
import {DATASET, INLET, SCHEMA, beaconRule, boot, config, fakeStorage, fakeWindow, sent} from "./fake.mjs";

const elements = {
  email: {type: "dataElements/constant", settings: {value: "ada@example.com"}},
  count: {type: "dataElements/constant", settings: {value: 3}},
  product: {type: "dataElements/constant", settings: {value: {sku: "S-1", price: 9.5}}},
  missing: {type: "dataElements/cookie", settings: {name: "nope"}},
};

function entityOf(mapping, settings = {}, opts = {}) {
  const {api, beacons} = boot(config({}, {dataElements: elements, rules: [beaconRule("go", mapping, {settings})]}), opts);
  api.track("go", opts.detail);
  assert.equal(beacons.length, 1);
  return beacons[0].body.xdmEntity;
}

test("paths with array indices build arrays, references keep their type", () => {
  const e = entityOf([
    {path: "identityMap.Email[0].id", value: "%email%"},
    {path: "identityMap.Email[0].primary", value: false},
    {path: "commerce.productListItems[1].quantity", value: "%count%"},
    {path: "_demo.product", value: "%product%"},
    {path: "eventType", value: "commerce.purchases"},
  ]);
  assert.deepEqual(e.identityMap.Email, [{id: "ada@example.com", primary: false}]);
  assert.ok(Array.isArray(e.commerce.productListItems));
  assert.equal(e.commerce.productListItems[1].quantity, 3);
  assert.deepEqual(e._demo.product, {sku: "S-1", price: 9.5});
  assert.equal(e.eventType, "commerce.purchases");
});

test("embedded references interpolate as text; unknown names stay literal", () => {
  const e = entityOf([
    {path: "a", value: "%count% items for %email%"},
    {path: "b", value: "obj=%product%"},
    {path: "c", value: "100%off%"},
    {path: "d", value: "%nope%"},
  ]);
  assert.equal(e.a, "3 items for ada@example.com");
  assert.equal(e.b, 'obj={"sku":"S-1","price":9.5}');
  assert.equal(e.c, "100%off%");
  assert.equal(e.d, "%nope%");
});

test("empty values are omitted; event detail is addressable as %event.detail...%", () => {
  const e = entityOf([
    {path: "x.missing", value: "%missing%"},
    {path: "x.empty", value: ""},
    {path: "order.total", value: "%event.detail.total%"},
    {path: "order.label", value: "total %event.detail.total%"},
  ], {}, {detail: {total: 42.5}});
  assert.equal(e.x, undefined);
  assert.equal(e.order.total, 42.5);
  assert.equal(e.order.label, "total 42.5");
});

test("_id and timestamp are generated when unmapped and kept when mapped", () => {
  const e = entityOf([]);
  assert.match(e._id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(e.timestamp, "2026-11-22T10:00:00.000Z");
  const mapped = entityOf([{path: "_id", value: "fixed"}, {path: "timestamp", value: "2020-01-01T00:00:00Z"}]);
  assert.equal(mapped._id, "fixed");
  assert.equal(mapped.timestamp, "2020-01-01T00:00:00Z");
});

test("no timestamp is added for a schema without one (records)", () => {
  const e = entityOf([{path: "person.name.firstName", value: "Ada"}], {fill: {timestamp: false}});
  assert.equal(e.timestamp, undefined);
  assert.match(e._id, /^[0-9a-f-]{36}$/);
});

test("_id falls back to getRandomValues, then Math.random, without crypto.randomUUID", () => {
  const noUuid = {getRandomValues: a => globalThis.crypto.getRandomValues(a)};
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(entityOf([], {}, {crypto: noUuid})._id, uuid);
  assert.match(entityOf([], {}, {crypto: null})._id, uuid);
});

test("the envelope follows the streaming contract", () => {
  const {api, beacons} = boot(config({}, {rules: [beaconRule("go")]}));
  api.track("go");
  const {header, body} = beacons[0];
  const ref = {id: SCHEMA, contentType: "application/vnd.adobe.xed-full+json;version=1"};
  assert.deepEqual(header, {schemaRef: ref, imsOrgId: "DEMO@AdobeOrg", datasetId: DATASET, source: {name: "xdm-tag"}});
  assert.deepEqual(body.xdmMeta, {schemaRef: ref});
  const other = boot(config({}, {rules: [beaconRule("go", [], {settings: {datasetId: "f".repeat(24)}})]}));
  other.api.track("go");
  assert.equal(other.beacons[0].header.datasetId, "f".repeat(24));
  assert.ok(INLET);
});

test("the device id is ECID[0] of every beacon sent; identities from Set Identity follow", async () => {
  const storage = fakeStorage();
  const {win, api, beacons} = boot(config({}, {rules: [beaconRule("go", [
    {path: "identityMap.ECID[0].id", value: "11111111111111111111111111111111111111"},
    {path: "identityMap.Email[0].id", value: "ada@example.com"},
  ])]}), {storage});
  api.setIdentity("Email", "ada@example.com", "authenticated");
  api.setIdentity("CRMID", 1234);
  api.track("go");
  assert.equal(beacons[0].body.xdmEntity.identityMap.ECID.length, 1); // added when it leaves
  api.flush();
  await win.advance(0);
  const m = sent(win)[0].body.xdmEntity.identityMap;
  const device = api.getDeviceId();
  assert.match(device, /^\d{38}$/);
  assert.deepEqual(m.ECID, [
    {id: device, primary: true, authenticatedState: "ambiguous"},
    {id: "11111111111111111111111111111111111111"},
  ]);
  assert.deepEqual(m.Email, [{id: "ada@example.com"}]);
  assert.deepEqual(m.CRMID, [{id: "1234", authenticatedState: "authenticated"}]);
  // persisted: a later page's beacons carry it too, and the same device id
  const later = boot(config({}, {rules: [beaconRule("go")]}), {storage, jar: win.document.jar});
  later.api.track("go");
  later.api.flush();
  await later.win.advance(0);
  const next = sent(later.win)[0].body.xdmEntity.identityMap;
  assert.deepEqual(next.CRMID, [{id: "1234", authenticatedState: "authenticated"}]);
  assert.deepEqual(next.ECID, [{id: device, primary: true, authenticatedState: "ambiguous"}]);
});

test("the Set Identity action resolves its id and ignores an empty one", () => {
  const cfg = config({}, {
    dataElements: {
      email: {type: "dataElements/queryParameter", settings: {name: "email"}},
      phone: {type: "dataElements/queryParameter", settings: {name: "phone"}},
    },
    rules: [{
      name: "login",
      events: [{type: "events/directCall", settings: {name: "login"}}],
      actions: [
        {type: "actions/setIdentity", settings: {namespace: "Email", id: "%email%", authenticatedState: "authenticated"}},
        {type: "actions/setIdentity", settings: {namespace: "Phone", id: "%phone%"}},
      ],
    }, beaconRule("go")],
  });
  const withEmail = boot(cfg, {url: "https://shop.example.com/?email=ada%40example.com"});
  withEmail.api.track("login");
  withEmail.api.track("go");
  const m = withEmail.beacons[0].body.xdmEntity.identityMap;
  assert.deepEqual(m.Email, [{id: "ada@example.com", authenticatedState: "authenticated"}]);
  assert.equal(m.Phone, undefined);
  const without = boot(cfg, {url: "https://shop.example.com/"});
  without.api.track("login");
  without.api.track("go");
  assert.equal(without.beacons[0].body.xdmEntity.identityMap.Email, undefined);
});

test("fill adds environment and web details without overriding mapped values", () => {
  const win = fakeWindow({title: "Shoes", referrer: "https://search.example.org/?q=shoes"});
  const e = entityOf([{path: "web.webPageDetails.name", value: "Mapped name"}],
    {fill: {environment: true, web: true}}, {win});
  assert.deepEqual(e.environment, {
    type: "browser",
    browserDetails: {userAgent: "FakeBrowser/1.0", acceptLanguage: "en-GB", cookiesEnabled: true,
      javaScriptEnabled: true, viewportWidth: 1280, viewportHeight: 720},
  });
  assert.deepEqual(e.web, {
    webPageDetails: {name: "Mapped name", URL: "https://shop.example.com/products/shoes?cid=spring&q=Red+Shoes#top"},
    webReferrer: {URL: "https://search.example.org/?q=shoes"},
  });
  const plain = entityOf([]);
  assert.equal(plain.environment, undefined);
  assert.equal(plain.web, undefined);
});
