// Builds a tag library by the recipe in README.md ("Build recipe"); the Python publisher
// follows the same recipe and tests/tags/test_manifest.py checks that both agree.
//
//   node tag_extension/build.mjs config.json          library with the modules the config uses
//   node tag_extension/build.mjs --all config.json    library with every module
import {readFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import vm from "node:vm";

export const root = dirname(fileURLToPath(import.meta.url));
export const manifest = JSON.parse(readFileSync(join(root, "extension.json"), "utf8"));
const KINDS = ["events", "conditions", "dataElements", "actions"];

export function allModules() {
  return KINDS.flatMap(kind => manifest[kind].map(x => x.libPath)).sort();
}

// Module paths of the types a configuration uses (rules' events, conditions, actions and
// data elements), sorted; a type the manifest does not list is an error.
export function modulesFor(config) {
  const known = new Set(allModules()), used = new Set();
  const add = c => {
    const path = "src/" + c.type + ".js";
    if (!known.has(path)) throw new Error("unknown type " + c.type);
    used.add(path);
  };
  Object.values(config.dataElements || {}).forEach(add);
  for (const rule of config.rules || []) {
    [rule.events, rule.conditions, rule.actions].forEach(list => (list || []).forEach(add));
  }
  return [...used].sort();
}

function text(path) {
  const s = readFileSync(join(root, path), "utf8");
  return s.endsWith("\n") ? s : s + "\n";
}

// core + modules: the inside of the library function, without the start call.
export function source(paths) {
  return text(manifest.main) + paths.map(text).join("");
}

// The configuration as a JavaScript literal: JSON, with "__proto__" keys computed so that
// they stay own properties (a literal "__proto__": key would set the object's prototype).
export function literal(config) {
  return JSON.stringify(config).replace(/([{,])"__proto__":/g, '$1["__proto__"]:');
}

export function library(config, paths = modulesFor(config), banner = "") {
  return (banner ? "/*! " + banner + " */\n" : "") + "(function (window, C) {\n\"use strict\";\n" +
    source(paths) + "start(window, C);\n})(window, " + literal(config) + ");\n";
}

// For tests: the runtime's `start(win, config)` factory, evaluated in a fresh context that has
// no browser globals, so the runtime can reach the page only through the window it is given.
export function factory(paths = allModules()) {
  const code = "(function () {\n\"use strict\";\n" + source(paths) + "return start;\n})()";
  return vm.runInContext(code, vm.createContext({}), {filename: "xdm-tag.js"});
}

// For tests: runs a whole library text with `window` bound to the given (fake) window.
export function runLibrary(code, window) {
  vm.runInContext(code, vm.createContext({window}), {filename: "xdm-tag-library.js"});
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2), all = args.includes("--all");
  const file = args.find(a => a !== "--all");
  const config = file ? JSON.parse(readFileSync(file, "utf8")) : {extension: {}};
  process.stdout.write(library(config, all ? allModules() : modulesFor(config)));
}
