// entragate edge shim: runs the Go (js/wasm) gateway inside a Cloudflare
// Worker / workerd isolate.
//
// Concurrency design (see docs/edge.md): workerd binds every promise, timer
// and fetch to the request that created it, while Go's js/wasm runtime resumes
// goroutines from whatever JS callback happens to be running. So Go never
// performs I/O itself. A goroutine that needs a fetch (or a KV / Cache API
// call) queues an operation on the request that owns it (the request id
// travels in the Go request's context); that request's own pump, below, runs
// the operation in its own context and hands the result back to Go. Go answers
// by storing the response on the request's slot; the pump notices it on its
// next turn. Nothing ever resolves a promise across requests. Go timers are
// driven by the pumps too (runtime.scheduleTimeoutEvent records the deadline
// instead of calling setTimeout from a foreign context).
import "./wasm_exec.js";
import wasmModule from "./worker.wasm";

const MAX_REQUEST_BODY = 64 * 1024; // bytes accepted from clients
const MAX_FETCH_BODY = 1024 * 1024; // hard cap on any outbound answer
const DEFAULT_TIMEOUT_MS = 15000; // whole-request budget (EDGE_REQUEST_TIMEOUT_MS)
const MAX_TIMEOUT_MS = 30000; // the most EDGE_REQUEST_TIMEOUT_MS may ask (Go's cap too)
const CANCEL_GRACE_MS = 1000; // after cancelling Go, wait this long for its answer
const TICK_MIN_MS = 1;
const TICK_MAX_MS = 20;

let go = null; // the Go instance
let api = null; // functions Go exported (init, start, complete, cancel, release, stats)
let initError = null;
const slots = new Map(); // request id -> slot
let nextRequestId = 1;

// problem answers as package problem does (RFC 7807 plus an "error" code).
function problem(status, title, code, detail) {
  return new Response(JSON.stringify({ type: "about:blank", title, status, detail, error: code }), {
    status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store" },
  });
}

// logError writes a JSON line shaped like Go's slog JSON handler (the
// Go side logs through one); binding values are never logged.
function logError(msg, err) {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "ERROR", msg, error: String(err) }));
}

// stringBindings keeps the text vars and secrets (never logged).
function stringBindings(env) {
  const out = {};
  for (const [k, v] of Object.entries(env || {})) {
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

// host is what Go calls. Every method is synchronous and only touches the
// slot of the request named, so calling it from another request's context is
// harmless.
const host = {
  register(fns) {
    api = fns;
  },
  enqueue(requestId, opId, op) {
    const slot = slots.get(requestId);
    if (!slot) return false;
    slot.queue.push({ opId, op });
    return true;
  },
  respond(requestId, status, headers, body) {
    const slot = slots.get(requestId);
    if (!slot) return false;
    slot.response = { status, headers, body };
    return true;
  },
};

function running() {
  return !!(api && go && !go.exited);
}

function startGo(env, runtime) {
  if (running()) return;
  api = null;
  initError = null;
  go = new Go();
  const g = go;
  // Timers: record the next deadline; the pumps call _resume when it is due.
  g.nextTimerAt = 0;
  g.importObject.gojs["runtime.scheduleTimeoutEvent"] = (sp) => {
    sp >>>= 0;
    const delay = Number(g.mem.getBigInt64(sp + 8, true));
    const id = g._nextCallbackTimeoutID++;
    g.nextTimerAt = Date.now() + delay;
    g.mem.setInt32(sp + 16, id, true);
  };
  g.importObject.gojs["runtime.clearTimeoutEvent"] = () => {
    g.nextTimerAt = 0;
  };
  const instance = new WebAssembly.Instance(wasmModule, g.importObject);
  globalThis.__entragateHost = host;
  g.run(instance).catch((err) => logError("go runtime failed", err));
  delete globalThis.__entragateHost;
  if (!api) throw new Error("entragate: Go did not register");
  initError = api.init(stringBindings(env), runtime) || null;
}

// runtimeBindings tells Go which stores are bound (names only), so that a
// missing KV namespace or Cache API is a configuration error. It runs once
// per Go instance, before startGo.
async function runtimeBindings(env) {
  const kv = [];
  for (const [k, v] of Object.entries(env || {})) {
    if (v && typeof v === "object" && typeof v.get === "function" && typeof v.put === "function" &&
        typeof v.delete === "function" && typeof v.list === "function") kv.push(k);
  }
  let cache = typeof caches !== "undefined" && !!caches && !!caches.default && typeof caches.open === "function";
  if (cache && String(env.TOKENCACHE_L2 || "").trim().toLowerCase() === "cache") {
    // workerd without a cache backend has caches, but every call throws
    // ("No Cache was configured"): probe once with a lookup (a miss).
    try {
      const name = String(env.TOKENCACHE_CACHE_NAME || "").trim();
      const c = name ? await caches.open(name) : caches.default;
      await c.match(cacheRequest("entragate-probe"));
    } catch (err) {
      cache = false;
    }
  }
  return { kv, cache };
}

// requestTimeoutMs and debugStats read EDGE_REQUEST_TIMEOUT_MS and
// EDGE_DEBUG_STATS by the rules of edge.FromWorker, which refuses (500
// not_configured) any value they would not take; the defaults here only
// apply to Workers that do not validate their bindings (the test Worker).
function requestTimeoutMs(env) {
  const v = String(env.EDGE_REQUEST_TIMEOUT_MS || "").trim();
  if (!/^[0-9]+$/.test(v)) return DEFAULT_TIMEOUT_MS;
  const ms = Number(v);
  return ms >= 1 && ms <= MAX_TIMEOUT_MS ? ms : DEFAULT_TIMEOUT_MS;
}

function debugStats(env) {
  // strconv.ParseBool's true values
  return ["1", "t", "T", "TRUE", "true", "True"].includes(String(env.EDGE_DEBUG_STATS || "").trim());
}

async function readBody(request) {
  if (request.method === "GET" || request.method === "HEAD" || !request.body) return null;
  const declared = Number(request.headers.get("content-length") || "0");
  if (declared > MAX_REQUEST_BODY) throw new RangeError("request body too large");
  const reader = request.body.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > MAX_REQUEST_BODY) {
      reader.cancel();
      throw new RangeError("request body too large");
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

async function readCapped(body, max) {
  if (!body) return { bytes: new Uint8Array(0), truncated: false };
  const reader = body.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.byteLength > max) {
      chunks.push(value.subarray(0, max - n));
      n = max;
      reader.cancel();
      return { bytes: concat(chunks, n), truncated: true };
    }
    chunks.push(value);
    n += value.byteLength;
  }
  return { bytes: concat(chunks, n), truncated: false };
}

function concat(chunks, n) {
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

function withTimeout(ms, slot) {
  const ctrl = new AbortController();
  const t = setTimeout(() => ctrl.abort(), Math.max(1, ms));
  slot.aborts.add(ctrl);
  return { signal: ctrl.signal, done: () => { clearTimeout(t); slot.aborts.delete(ctrl); } };
}

function cacheRequest(key) {
  return new Request("https://entragate-cache.invalid/obo/" + encodeURIComponent(key));
}

// runOp performs one queued operation in the owning request's context.
async function runOp(op, env, slot) {
  try {
    switch (op.kind) {
      case "fetch": {
        const max = Math.min(op.maxBytes || MAX_FETCH_BODY, MAX_FETCH_BODY);
        const t = withTimeout(op.timeoutMs || 10000, slot);
        try {
          const res = await fetch(op.url, {
            method: op.method,
            headers: op.headers,
            body: op.body && op.body.byteLength ? op.body : undefined,
            redirect: "manual",
            signal: t.signal,
          });
          const { bytes, truncated } = await readCapped(res.body, max + 1);
          return { ok: true, status: res.status, headers: [...res.headers], body: bytes, truncated: truncated || bytes.byteLength > max };
        } finally {
          t.done();
        }
      }
      case "kv.get": {
        const ns = env[op.binding];
        if (!ns) return { ok: false, error: "kv binding missing" };
        const v = await ns.get(op.key, { type: "arrayBuffer" });
        return { ok: true, found: v !== null, body: v === null ? new Uint8Array(0) : new Uint8Array(v) };
      }
      case "kv.put": {
        const ns = env[op.binding];
        if (!ns) return { ok: false, error: "kv binding missing" };
        await ns.put(op.key, op.body, { expirationTtl: Math.max(60, op.ttl) });
        return { ok: true };
      }
      case "kv.delete": {
        const ns = env[op.binding];
        if (!ns) return { ok: false, error: "kv binding missing" };
        await ns.delete(op.key);
        return { ok: true };
      }
      case "cache.get": {
        const cache = op.name ? await caches.open(op.name) : caches.default;
        const res = await cache.match(cacheRequest(op.key));
        if (!res) return { ok: true, found: false, body: new Uint8Array(0) };
        const { bytes } = await readCapped(res.body, MAX_FETCH_BODY);
        return { ok: true, found: true, body: bytes };
      }
      case "cache.put": {
        const cache = op.name ? await caches.open(op.name) : caches.default;
        await cache.put(cacheRequest(op.key), new Response(op.body, {
          headers: { "cache-control": "max-age=" + Math.max(1, op.ttl), "content-type": "application/octet-stream" },
        }));
        return { ok: true };
      }
      case "cache.delete": {
        const cache = op.name ? await caches.open(op.name) : caches.default;
        await cache.delete(cacheRequest(op.key));
        return { ok: true };
      }
      default:
        return { ok: false, error: "unknown operation" };
    }
  } catch (err) {
    return { ok: false, error: String(err && err.name === "AbortError" ? "timeout" : (err && err.message) || err) };
  }
}

// pump serves one request: it runs that request's operations, hands their
// results to Go, drives Go's timers, and returns once Go has answered.
async function pump(rt, id, slot, env, timeoutMs) {
  const { go, api } = rt; // this request's Go instance, even if another request restarts Go
  const deadline = Date.now() + timeoutMs;
  let cancelled = false;
  let tick = TICK_MIN_MS;
  for (;;) {
    let progressed = false;
    while (slot.queue.length) {
      const { opId, op } = slot.queue.shift();
      slot.inflight++;
      runOp(op, env, slot).then((r) => {
        slot.inflight--;
        slot.done.push([opId, r]);
        if (slot.wake) slot.wake();
      });
      progressed = true;
    }
    while (slot.done.length && !go.exited) {
      const [opId, r] = slot.done.shift();
      api.complete(opId, r);
      progressed = true;
    }
    if (slot.response) return slot.response;
    if (go.exited) return null;
    const now = Date.now();
    if (!cancelled && now >= deadline) {
      cancelled = true;
      if (!go.exited) api.cancel(id);
      for (const c of slot.aborts) c.abort();
      continue;
    }
    if (cancelled && now >= deadline + CANCEL_GRACE_MS) return null;
    if (progressed) {
      tick = TICK_MIN_MS;
      continue;
    }
    let wait = tick;
    if (go.nextTimerAt) wait = Math.min(wait, Math.max(0, go.nextTimerAt - now));
    wait = Math.min(wait, Math.max(0, (cancelled ? deadline + CANCEL_GRACE_MS : deadline) - now));
    await new Promise((resolve) => {
      const t = setTimeout(() => { slot.wake = null; resolve(); }, wait);
      slot.wake = () => { clearTimeout(t); slot.wake = null; resolve(); };
    });
    tick = Math.min(tick * 2, TICK_MAX_MS);
    if (go.nextTimerAt && Date.now() >= go.nextTimerAt) go.nextTimerAt = 0;
    if (!go.exited) go._resume();
  }
}

// sweep releases requests whose pump stopped without its finally block
// (workerd drops a request's promises when the client disconnects): Go's
// context is cancelled and their queued operations fail, from whichever
// request runs the sweep, which is safe since release only touches Go state.
let lastSweep = 0;
function sweep(now) {
  if (now - lastSweep < 1000) return;
  lastSweep = now;
  for (const [id, slot] of slots) {
    if (now <= slot.expires) continue;
    slots.delete(id);
    if (!slot.rt.go.exited) slot.rt.api.release(id);
  }
}

async function handle(request, env) {
  try {
    if (!running()) {
      const runtime = await runtimeBindings(env);
      startGo(env, runtime);
    }
  } catch (err) {
    logError("gateway start failed", err);
    go = null;
    api = null;
    return problem(500, "Internal Server Error", "internal_error", "The gateway failed to start.");
  }
  if (initError) {
    // Go logged the details (JSON, "configuration refused") once, at init.
    return problem(500, "Internal Server Error", "not_configured", "The gateway is misconfigured; see the Worker logs.");
  }
  if (debugStats(env) && new URL(request.url).pathname === "/_edge/stats") {
    // Load figures for tests (off unless the binding says "true"): goroutines, open requests, operations.
    const st = api.stats();
    return new Response(JSON.stringify({ goroutines: st.goroutines, requests: st.requests, ops: st.ops, slots: slots.size }), {
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  }
  let body;
  try {
    body = await readBody(request);
  } catch (err) {
    return problem(413, "Payload Too Large", "invalid_request", "The request body is too large.");
  }
  const timeoutMs = requestTimeoutMs(env);
  const now = Date.now();
  sweep(now);
  const id = nextRequestId++;
  const rt = { go, api };
  const slot = { queue: [], done: [], inflight: 0, response: null, wake: null, aborts: new Set(), rt,
    expires: now + timeoutMs + CANCEL_GRACE_MS + 5000 };
  slots.set(id, slot);
  let res;
  try {
    rt.api.start(id, request.method, request.url, [...request.headers], body, timeoutMs);
    res = await pump(rt, id, slot, env, timeoutMs);
  } catch (err) {
    // A trap inside Go (or a broken instance): mark it dead so the next
    // request starts a fresh one.
    logError("go runtime failed", err);
    rt.go.exited = true;
    res = null;
  } finally {
    slots.delete(id);
    for (const c of slot.aborts) c.abort();
    if (!rt.go.exited) rt.api.release(id);
  }
  if (!res) {
    if (rt.go.exited) return problem(500, "Internal Server Error", "internal_error", "The gateway stopped; it restarts on the next request.");
    return problem(504, "Gateway Timeout", "timeout", "The request took too long.");
  }
  const nullBody = res.status === 204 || res.status === 205 || res.status === 304 || request.method === "HEAD";
  return new Response(!nullBody && res.body && res.body.byteLength ? res.body : null, { status: res.status, headers: res.headers });
}

export default {
  fetch(request, env, ctx) {
    return handle(request, env);
  },
};
