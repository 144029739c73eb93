// A small hand-made browser for the runtime's tests: a window with a virtual clock and timers,
// a cookie jar, localStorage, location/history, a few elements with closest()/querySelector(),
// fetch and sendBeacon recorders. Jar and storage can be shared to simulate a reload.
import {factory} from "../build.mjs";

export const INLET = "a".repeat(64);
export const DATASET = "0123456789abcdef01234567";
export const SCHEMA = "https://ns.xdm-collector.dev/schemas/web-events";
export const start = factory();

class Target {
  constructor() {
    this.listeners = {};
  }

  addEventListener(type, fn) {
    (this.listeners[type] = this.listeners[type] || []).push(fn);
  }

  removeEventListener(type, fn) {
    this.listeners[type] = (this.listeners[type] || []).filter(f => f !== fn);
  }

  dispatchEvent(event) {
    (this.listeners[event.type] || []).slice().forEach(fn => fn(event));
    return true;
  }
}

// Compound selectors only: tag, #id, .class, [attr] and [attr="value"] in any combination.
function matches(el, selector) {
  const parts = selector.match(/^[\w-]+|#[\w-]+|\.[\w-]+|\[[\w-]+(?:="[^"]*")?\]/g) || [];
  if (parts.join("") !== selector) throw new Error("fake DOM cannot match " + selector);
  return parts.every(p => {
    if (p[0] === "#") return el.id === p.slice(1);
    if (p[0] === ".") return el.className.split(" ").includes(p.slice(1));
    if (p[0] === "[") {
      const [name, value] = p.slice(1, -1).split("=");
      return el.hasAttribute(name) && (value === undefined || el.getAttribute(name) === JSON.parse(value));
    }
    return el.tagName === p.toUpperCase();
  });
}

class Element {
  constructor(doc, tag, attrs = {}, text = "", parent = null) {
    this.tagName = tag.toUpperCase();
    this.attrs = {...attrs};
    this.textContent = text;
    this.parentElement = parent;
    doc.all.push(this);
  }

  get id() {
    return this.attrs.id || "";
  }

  get className() {
    return this.attrs.class || "";
  }

  hasAttribute(name) {
    return name in this.attrs;
  }

  getAttribute(name) {
    return name in this.attrs ? this.attrs[name] : null;
  }

  closest(selector) {
    for (let el = this; el; el = el.parentElement) if (matches(el, selector)) return el;
    return null;
  }
}

class Document extends Target {
  constructor(jar, opts) {
    super();
    this.jar = jar;
    this.all = [];
    this.title = opts.title ?? "Fake page";
    this.referrer = opts.referrer ?? "";
    this.readyState = opts.readyState ?? "complete";
    this.visibilityState = "visible";
    this.cookieWrites = [];
  }

  get cookie() {
    return [...this.jar].map(([k, v]) => k + "=" + v.value).join("; ");
  }

  set cookie(line) {
    this.cookieWrites.push(line);
    const [pair, ...attrs] = line.split(/; */);
    const i = pair.indexOf("="), name = pair.slice(0, i), value = pair.slice(i + 1);
    const maxAge = attrs.find(a => a.toLowerCase().startsWith("max-age="));
    if (maxAge && +maxAge.split("=")[1] <= 0) this.jar.delete(name);
    else this.jar.set(name, {value, attrs});
  }

  element(tag, attrs, text, parent) {
    return new Element(this, tag, attrs, text, parent);
  }

  querySelector(selector) {
    return this.all.find(el => matches(el, selector)) || null;
  }
}

export function fakeStorage(opts = {}) {
  const map = opts.map || new Map();
  const guard = () => {
    if (opts.throws) throw new Error("SecurityError: storage is disabled");
  };
  return {
    map,
    getItem: k => (guard(), map.has(k) ? map.get(k) : null),
    setItem: (k, v) => (guard(), map.set(k, String(v)), undefined),
    removeItem: k => (guard(), map.delete(k), undefined),
  };
}

// Default answer of the fake collector: 207 with one success entry per message.
export function accept(req) {
  return {status: 207, body: {responses: req.messages.map((m, i) => ({xactionId: "1:1:1-" + i}))}};
}

export function fakeWindow(opts = {}) {
  const clock = {now: opts.now ?? Date.UTC(2026, 10, 22, 10, 0, 0)};
  const timers = [];
  let seq = 0, url = new URL(opts.url ?? "https://shop.example.com/products/shoes?cid=spring&q=Red+Shoes#top");
  const win = new Target();
  const doc = new Document(opts.jar || new Map(), opts);
  const location = {
    get href() { return url.href; },
    get protocol() { return url.protocol; },
    get hostname() { return url.hostname; },
    get pathname() { return url.pathname; },
    get search() { return url.search; },
    get hash() { return url.hash; },
  };
  class FakeDate extends Date {
    constructor(...a) {
      super(...(a.length ? a : [clock.now]));
    }

    static now() {
      return clock.now;
    }
  }
  Object.assign(win, {
    document: doc,
    location,
    history: {
      length: 1,
      pushState(state, title, to) { url = new URL(to, url); },
      replaceState(state, title, to) { url = new URL(to, url); },
    },
    navigator: {
      userAgent: "FakeBrowser/1.0",
      language: "en-GB",
      cookieEnabled: true,
      sendBeacon: opts.sendBeacon === null ? undefined : (to, body) => {
        const ok = opts.beaconOk ? opts.beaconOk(body) : true;
        win.beacons.push({url: to, body, messages: JSON.parse(body).messages, ok});
        return ok;
      },
    },
    localStorage: opts.storage || fakeStorage(),
    crypto: opts.crypto === undefined ? globalThis.crypto : opts.crypto,
    console: {warn: (...a) => win.warnings.push(a.map(String).join(" "))},
    Date: FakeDate,
    Math: {random: () => (opts.random ?? 0.5)},
    URLSearchParams,
    innerWidth: 1280,
    innerHeight: 720,
    setTimeout(fn, ms) {
      timers.push({id: ++seq, at: clock.now + (ms || 0), fn});
      return seq;
    },
    clearTimeout(id) {
      const i = timers.findIndex(x => x.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    fetch(to, init) {
      const req = {url: to, init, messages: JSON.parse(init.body).messages};
      win.requests.push(req);
      const answer = (opts.respond || accept)(req);
      if (answer === "network") return Promise.reject(new TypeError("Failed to fetch"));
      const body = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {});
      return Promise.resolve(new Response(body, {status: answer.status, headers: answer.headers || {}}));
    },
    requests: [],
    beacons: [],
    warnings: [],
    clock,
    timers,
  });
  win.navigate = to => { url = new URL(to, url); };
  // Advances the virtual clock, running due timers in order and letting promises settle.
  win.advance = async ms => {
    const end = clock.now + ms;
    await settle();
    for (;;) {
      timers.sort((a, b) => a.at - b.at || a.id - b.id);
      if (!timers.length || timers[0].at > end) break;
      const next = timers.shift();
      clock.now = Math.max(clock.now, next.at);
      next.fn();
      await settle();
    }
    clock.now = end;
  };
  // Delivers a DOM event the way capture listeners see it: window first, then the document.
  win.dom = (type, target, extra = {}) => {
    const event = {type, target, ...extra};
    win.dispatchEvent(event);
    doc.dispatchEvent(event);
    return event;
  };
  return win;
}

export function settle() {
  return new Promise(resolve => setImmediate(resolve));
}

export function config(overrides = {}, more = {}) {
  return {
    extension: {
      collectorUrl: "https://collect.example.com/",
      inletId: INLET,
      orgId: "DEMO@AdobeOrg",
      datasetId: DATASET,
      ...overrides,
    },
    dataElements: {},
    rules: [],
    ...more,
  };
}

// A rule sending one beacon per direct call `name`, with the given mapping rows.
export function beaconRule(name, mapping = [], extra = {}) {
  return {
    name: "send " + name,
    events: [{type: "events/directCall", settings: {name}}],
    conditions: extra.conditions || [],
    actions: [{type: "actions/sendBeacon", settings: {schemaId: SCHEMA, mapping, ...extra.settings}}],
  };
}

// Boots a runtime on a fresh fake window, subscribing to queued beacons through the embed
// snippet's queue (so beacons of "library loaded" rules are seen too).
export function boot(cfg = config(), opts = {}) {
  const win = opts.win || fakeWindow(opts);
  const beacons = [];
  const copy = m => beacons.push(JSON.parse(JSON.stringify(m)));
  win._xdmTag = {q: [["on", ["beacon", copy]], ...(opts.q || [])]};
  const api = start(win, cfg);
  return {win, api, beacons};
}

export function sent(win) {
  return win.requests.flatMap(r => r.messages);
}

// Values made inside the runtime's context have that context's prototypes: compare copies.
export function plain(x) {
  return JSON.parse(JSON.stringify(x));
}

// What stats() reads with the given counts (every other count zero).
export function counts(n = {}) {
  const drops = {status: 0, attempts: 0, age: 0, queue: 0, consent: 0, size: 0, ...n.drops};
  return {queued: 0, sent: 0, accepted: 0, invalid: 0, dropped: 0, retries: 0, ...n, drops};
}
