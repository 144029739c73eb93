// Runs a whole library (e.g. the minified one the publisher serves) built from
// examples/all-types.json through one page visit, and reports what it sent.
//   node tag_extension/tests/scenario.mjs library.js   prints {urls, messages, warnings} as JSON
import {readFileSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {runLibrary} from "../build.mjs";
import {fakeStorage, fakeWindow} from "./fake.mjs";

export async function scenario(code) {
  const win = fakeWindow({
    url: "https://shop.example.com/products/shoes?cid=spring",
    readyState: "loading",
    jar: new Map([["plan", {value: "gold"}]]),
    storage: fakeStorage({map: new Map([["cartId", "c-42"]])}),
  });
  win.digitalData = {page: {name: "Shoes"}};
  win.dataLayer = [{user: {email: "ada@example.com"}}];
  const card = win.document.element("div", {"data-sku": "S-1"});
  const button = win.document.element("button", {class: "add-to-cart"}, "Add", card);
  win._xdmTag = {q: [["debug", [true]]]};
  runLibrary(code, win);
  win.dom("click", button);
  win._xdmTag.track("login");
  win.history.pushState({}, "", "/products/boots");
  win.document.readyState = "interactive";
  win.document.dispatchEvent({type: "DOMContentLoaded"});
  win.document.readyState = "complete";
  win.dispatchEvent({type: "load"});
  await win.advance(31000);
  return {
    urls: [...new Set(win.requests.map(r => r.url))],
    messages: win.requests.flatMap(r => r.messages),
    warnings: win.warnings,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await scenario(readFileSync(process.argv[2], "utf8"));
  process.stdout.write(JSON.stringify(result) + "\n");
}
