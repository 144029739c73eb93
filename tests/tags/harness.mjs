// Runs a published library (as served) on the runtime's fake window through one visit of the
// demo shop, and prints what it did as JSON: {beacons, rules, requests, warnings}.
//   node tests/tags/harness.mjs library.js
// beacons: envelopes as queued (on "beacon"); rules: names of rules whose conditions passed;
// requests: the messages of each batch request (with the device id stamped).
import {readFileSync} from "node:fs";
import {runLibrary} from "../../tag_extension/build.mjs";
import {fakeWindow} from "../../tag_extension/tests/fake.mjs";

const win = fakeWindow({url: "http://127.0.0.1:8000/?cid=spring", title: "Demo shop"});
win.demoShop = {category: "shoes"};
const button = win.document.element("button", {class: "add-to-cart"}, "Add to cart");
button.dataset = {sku: "SKU-1", name: "Red shoes"};
const beacons = [], rules = [];
win._xdmTag = {q: [
  ["debug", [true]],
  ["on", ["beacon", m => beacons.push(JSON.parse(JSON.stringify(m)))]],
  ["on", ["rule", e => rules.push(e.rule)]],
]};
runLibrary(readFileSync(process.argv[2], "utf8"), win);
win.dom("click", button);
win.dom("demo:search", win.document, {detail: {term: "boots"}});
win._xdmTag.track("newsletter", {email: "ada@example.com"});
win.history.pushState({}, "", "/shoes");
await win.advance(5000);
process.stdout.write(JSON.stringify({
  beacons,
  rules,
  requests: win.requests.map(r => r.messages),
  warnings: win.warnings,
}) + "\n");
