// The published form: a library built from examples/all-types.json runs every type together.
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {join} from "node:path";
import test from "node:test";
import {library, root} from "../build.mjs";
import {scenario} from "./scenario.mjs";

test("a page visit with every type sends the expected beacons", async () => {
  const config = JSON.parse(readFileSync(join(root, "examples", "all-types.json"), "utf8"));
  const {messages, warnings} = await scenario(library(config));
  assert.deepEqual(warnings, []);
  const entities = messages.map(m => m.body.xdmEntity);
  assert.deepEqual(entities.map(e => e.eventType || "profile"), [
    "web.webpagedetails.pageViews", "commerce.productListAdds", "profile",
    "web.webpagedetails.pageViews", "web.engagement", "web.engagement", "web.engagement",
  ]);
  const [view, add, profile, spaView] = entities;
  assert.deepEqual(view._demo, {campaign: "spring", plan: "gold", pageName: "Shoes (/products/shoes)"});
  assert.equal(view.web.webPageDetails.siteSection, "demo shop");
  assert.equal(view.environment.browserDetails.viewportWidth, 1280);
  assert.equal(spaView.web.webPageDetails.URL, "https://shop.example.com/products/boots");
  assert.deepEqual(add.productListItems, [{SKU: "S-1"}]);
  assert.equal(add._demo.cartId, "c-42");
  assert.equal(profile.personalEmail.address, "ada@example.com");
  assert.equal(profile._demo.device, profile.identityMap.ECID[0].id);
  assert.deepEqual(profile.identityMap.Email, [{id: "ada@example.com"}]);
  assert.deepEqual(spaView.identityMap.Email, [{id: "ada@example.com", authenticatedState: "authenticated"}]);
  assert.equal(messages[2].header.datasetId, "000000000000000000000002");
  assert.equal(messages[2].header.schemaRef.id, "https://ns.xdm-collector.dev/schemas/customer-profile");
});
