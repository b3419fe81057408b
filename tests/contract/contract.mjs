#!/usr/bin/env node
// Contract checks of proto/openapi.yaml (run by tests/e2e/test_contract.sh).
//
//   node contract.mjs spec                     the spec is valid OpenAPI 3.0 and follows our rules
//   node contract.mjs routes BUILD_BIN [svc..] every route `gf-<svc> --routes` prints is documented,
//                                              and every documented path/method is registered
//   node contract.mjs live GW API_KEY          every operation answers its x-contract example with
//                                              the expected status and a body valid for its schema
//
// Output: one `ok - …` / `not ok - …` line per check; exit status 1 when any failed.
import { execFileSync } from "node:child_process";
import SwaggerParser from "@apidevtools/swagger-parser";
import {
  SERVICES, loadSpec, deref, operations, makeAjv, validatorFor, formatErrors, gatewayPath,
} from "./lib.mjs";

let failed = 0;
const ok = (msg) => console.log(`ok - ${msg}`);
const notOk = (msg, why) => { failed++; console.log(`not ok - ${msg}`); if (why) console.log(`    ${why.replace(/\n/g, "\n    ")}`); };

const MUTATING = new Set(["POST", "PUT", "DELETE", "PATCH"]);

// ------------------------------------------------------------------ spec
async function checkSpec() {
  const spec = loadSpec();
  try {
    await SwaggerParser.validate(structuredClone(spec));
    ok("openapi.yaml is valid OpenAPI " + spec.openapi);
  } catch (e) {
    notOk("openapi.yaml is valid OpenAPI", e.message);
  }
  const problems = [];
  const ids = new Set();
  const tags = new Set((spec.tags || []).map((t) => t.name));
  if (!spec.components?.schemas?.Error) problems.push("components.schemas.Error is missing");
  if (spec.components?.securitySchemes?.ApiKey?.name !== "X-API-Key") problems.push("ApiKey security scheme must be the X-API-Key header");
  for (const { path, method, op } of operations(spec)) {
    const where = `${method} ${path}`;
    const svc = path.split("/")[2];
    if (!path.startsWith("/api/") || !SERVICES.includes(svc)) problems.push(`${where}: not under /api/<service>/`);
    if (!op.operationId) problems.push(`${where}: no operationId`);
    else if (ids.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
    ids.add(op.operationId);
    if (!op.summary) problems.push(`${where}: no summary`);
    if (!(op.tags || []).includes(svc) || !tags.has(svc)) problems.push(`${where}: must be tagged '${svc}'`);
    const secured = (op.security || []).some((s) => "ApiKey" in s);
    if (MUTATING.has(method) && !secured) problems.push(`${where}: mutating operation without the ApiKey security`);
    if (MUTATING.has(method) && !op.responses?.["401"]) problems.push(`${where}: mutating operation without a 401 response`);
    const c = op["x-contract"];
    if (!c || c.status === undefined) problems.push(`${where}: no x-contract.status`);
    for (const st of [].concat(c?.status ?? [])) {
      if (!op.responses?.[String(st)]) problems.push(`${where}: x-contract.status ${st} is not a documented response`);
    }
    if (!Object.keys(op.responses || {}).some((k) => /^2/.test(k))) problems.push(`${where}: no 2xx response`);
    for (const [code, r0] of Object.entries(op.responses || {})) {
      const r = deref(spec, r0);
      const content = r.content || {};
      if (Object.keys(content).length === 0) problems.push(`${where} ${code}: no content schema`);
      if (/^[45]/.test(code) && !content["application/json"]) problems.push(`${where} ${code}: errors must be application/json`);
      if (/^[45]/.test(code)) {
        const s = content["application/json"]?.schema;
        const ref = s?.$ref || s?.allOf?.[0]?.$ref;
        const named = ref && ref.split("/").pop();
        const isErr = named === "Error" || (named && deref(spec, { $ref: ref }).allOf?.some((x) => x.$ref === "#/components/schemas/Error"));
        if (!isErr) problems.push(`${where} ${code}: error responses must use the Error schema`);
      }
    }
    if (op.requestBody) {
      for (const [ct, media] of Object.entries(op.requestBody.content || {})) {
        if (!media?.schema) problems.push(`${where}: request body ${ct} without a schema`);
        if (media?.example === undefined && !media?.examples) problems.push(`${where}: request body ${ct} without an example`);
      }
    }
    for (const p0 of op.parameters || []) {
      const p = deref(spec, p0);
      if (p.in === "path" && p.example === undefined && !c?.params?.[p.name]) problems.push(`${where}: path parameter ${p.name} without an example`);
    }
  }
  // Examples given in the spec validate against their own schemas.
  const ajv = makeAjv(spec);
  const checkExample = (where, schema, value) => {
    const v = validatorFor(ajv, schema);
    if (!v(value)) problems.push(`${where}: example does not validate: ${formatErrors(v.errors)}`);
  };
  for (const { path, method, op } of operations(spec)) {
    const where = `${method} ${path}`;
    const media = op.requestBody?.content?.["application/json"];
    if (media?.schema) {
      if (media.example !== undefined) checkExample(`${where} request`, media.schema, media.example);
      for (const [n, ex] of Object.entries(media.examples || {})) checkExample(`${where} request example ${n}`, media.schema, deref(spec, ex).value);
    }
    for (const [code, r0] of Object.entries(op.responses || {})) {
      const r = deref(spec, r0);
      for (const [ct, m] of Object.entries(r.content || {})) {
        if (!ct.includes("json") || !m.schema) continue;
        if (m.example !== undefined) checkExample(`${where} ${code}`, m.schema, m.example);
        for (const [n, ex] of Object.entries(m.examples || {})) checkExample(`${where} ${code} example ${n}`, m.schema, deref(spec, ex).value);
      }
    }
  }
  if (problems.length) notOk("openapi.yaml follows the project's rules", problems.join("\n"));
  else ok("openapi.yaml follows the project's rules (tags, operationIds, security, Error responses, examples)");
}

// ------------------------------------------------------------------ routes
function normalise(p) {
  return p.replace(/\{[^}]+\}/g, "{}");
}

function checkRoutes(binDir, services) {
  const spec = loadSpec();
  const documented = new Map(); // "GET /api/x/{}" -> path as written
  for (const { path, method } of operations(spec)) documented.set(`${method} ${normalise(path)}`, `${method} ${path}`);
  const registered = new Map();
  for (const svc of services) {
    let out;
    try {
      out = execFileSync(`${binDir}/gf-${svc}`, ["--routes"], { encoding: "utf8", timeout: 20000 });
    } catch (e) {
      notOk(`gf-${svc} --routes runs`, e.message);
      continue;
    }
    const missing = [];
    const unmapped = [];
    for (const line of out.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const [method, route] = line.split(/\s+/);
      const gw = gatewayPath(svc, route);
      if (!gw) { unmapped.push(line); continue; }
      const key = `${method} ${normalise(gw)}`;
      registered.set(key, `${method} ${gw}`);
      if (!documented.has(key)) missing.push(`${method} ${gw}  (service ${route})`);
      else if (documented.get(key) !== `${method} ${gw}`) missing.push(`${method} ${gw}: documented as ${documented.get(key)} (path parameter names differ)`);
    }
    if (unmapped.length) notOk(`${svc}: every route is reachable through the gateway`, unmapped.join("\n"));
    if (missing.length) notOk(`${svc}: every registered route is documented in openapi.yaml`, missing.join("\n"));
    else ok(`${svc}: all ${out.trim().split("\n").length} registered routes are documented`);
  }
  const ghosts = [];
  for (const [key, written] of documented) {
    const svc = written.split(" ")[1].split("/")[2];
    if (!services.includes(svc)) continue;
    if (!registered.has(key)) ghosts.push(written);
  }
  if (ghosts.length) notOk("every documented operation is registered by its service", ghosts.join("\n"));
  else ok("every documented operation is registered by its service");
}

// ------------------------------------------------------------------ live
function fill(template, vars) {
  return String(template).replace(/\{(\w+)\}/g, (m, k) => {
    if (!(k in vars)) throw new Error(`x-contract variable '${k}' was not captured (order?)`);
    return vars[k];
  });
}

// c: the operation's x-contract, or one of its x-contract.cases (params, example or body,
// contentType of its own; the operation's example otherwise).
function requestFor(spec, entry, vars, c = entry.op["x-contract"] || {}) {
  const { path, op, pathItem } = entry;
  let url = path;
  const query = new URLSearchParams();
  for (const p0 of [...(pathItem.parameters || []), ...(op.parameters || [])]) {
    const p = deref(spec, p0);
    let value = c.params?.[p.name] !== undefined ? fill(c.params[p.name], vars) : p.example;
    if (value === undefined) continue;
    if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(value));
    else if (p.in === "query") query.set(p.name, String(value));
  }
  if ([...query].length) url += `?${query}`;
  let body, contentType;
  const content = op.requestBody?.content;
  if (content) {
    contentType = c.contentType || Object.keys(content)[0];
    const media = content[contentType];
    if (c.body !== undefined) body = c.body;
    else if (c.example && media.examples?.[c.example]) body = deref(spec, media.examples[c.example]).value;
    else if (media.example !== undefined) body = media.example;
    else if (media.examples) body = deref(spec, Object.values(media.examples)[0]).value;
  }
  return { url, body, contentType };
}

async function call(gw, method, url, body, key, contentType = "application/json") {
  const headers = { Accept: "application/json" };
  if (key) headers["X-API-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = contentType;
  const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(gw + url, {
    method, headers, body: text, redirect: "manual",
    signal: AbortSignal.timeout(60000),
  });
  const answer = await res.text();
  return { status: res.status, headers: res.headers, text: answer };
}

function checkResponse(spec, ajv, op, res) {
  const r0 = op.responses?.[String(res.status)];
  if (!r0) return `status ${res.status} is not documented`;
  const r = deref(spec, r0);
  const ct = (res.headers.get("content-type") || "").split(";")[0].trim();
  const media = r.content?.[ct];
  if (!media) return `content type '${ct}' is not documented for ${res.status} (documented: ${Object.keys(r.content || {}).join(", ")})`;
  for (const h of Object.keys(r.headers || {})) {
    if (!res.headers.get(h)) return `header ${h} is documented for ${res.status} but missing`;
  }
  if (ct.includes("json")) {
    let body;
    try { body = JSON.parse(res.text); } catch { return `body is not JSON: ${res.text.slice(0, 200)}`; }
    const v = validatorFor(ajv, media.schema);
    if (!v(body)) return `body does not match the schema: ${formatErrors(v.errors)}\n    body: ${res.text.slice(0, 400)}`;
    return { body };
  }
  if (media.schema?.type === "string" && typeof res.text !== "string") return "body is not text";
  if (ct === "text/plain" && !/^# (HELP|TYPE) /m.test(res.text)) return "metrics body is not Prometheus text";
  return { body: res.text };
}

async function checkLive(gw, key) {
  const spec = loadSpec();
  const ajv = makeAjv(spec);
  const vars = {};
  // By x-contract.order (default 50), then in document order: imports and captures first.
  const ordered = operations(spec)
    .map((e, i) => ({ e, i, k: e.op["x-contract"]?.order ?? 50 }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.e);
  for (const entry of ordered) {
    const { method, path, op } = entry;
    const c = op["x-contract"] || {};
    const name = `${method} ${path} (${op.operationId})`;
    const expected = [].concat(c.status);
    const secured = (op.security || []).some((s) => "ApiKey" in s);
    let req;
    try { req = requestFor(spec, entry, vars); } catch (e) { notOk(name, e.message); continue; }
    let res;
    try { res = await call(gw, method, req.url, req.body, secured ? key : undefined, req.contentType); } catch (e) { notOk(name, `request failed: ${e.message}`); continue; }
    if (!expected.includes(res.status)) {
      notOk(name, `expected status ${expected.join(" or ")}, got ${res.status}: ${res.text.slice(0, 300)}`);
      continue;
    }
    const v = checkResponse(spec, ajv, op, res);
    if (typeof v === "string") { notOk(name, `${res.status}: ${v}`); continue; }
    for (const [varName, field] of Object.entries(c.capture || {})) {
      const value = v.body?.[field];
      if (value === undefined) notOk(`${name} captures ${field}`, "missing in the body");
      else vars[varName] = value;
    }
    ok(`${name} answers ${res.status} matching its schema${c.note ? ` (${c.note})` : ""}`);
    // More calls of the same operation (bad input, other answers): x-contract.cases, each with
    // its status, the error code or body members it must carry, and the documented schema.
    for (const [i, k] of (c.cases || []).entries()) {
      const cname = `${name} case ${i + 1}${k.note ? ` (${k.note})` : ""}`;
      let kreq, kres;
      try { kreq = requestFor(spec, entry, vars, { ...c, ...k, params: { ...c.params, ...k.params } }); } catch (e) { notOk(cname, e.message); continue; }
      try { kres = await call(gw, method, kreq.url, kreq.body, secured ? key : undefined, kreq.contentType); } catch (e) { notOk(cname, `request failed: ${e.message}`); continue; }
      if (![].concat(k.status).includes(kres.status)) {
        notOk(cname, `expected status ${k.status}, got ${kres.status}: ${kres.text.slice(0, 300)}`);
        continue;
      }
      const kv = checkResponse(spec, ajv, op, kres);
      if (typeof kv === "string") { notOk(cname, `${kres.status}: ${kv}`); continue; }
      const wrong = Object.entries({ ...(k.code ? { "error.code": k.code } : {}), ...(k.expect || {}) })
        .filter(([p, want]) => JSON.stringify(p.split(".").reduce((o, f) => o?.[f], kv.body)) !== JSON.stringify(want))
        .map(([p, want]) => `${p} is ${JSON.stringify(p.split(".").reduce((o, f) => o?.[f], kv.body))}, expected ${JSON.stringify(want)}`);
      if (wrong.length) notOk(cname, wrong.join("; "));
      else ok(`${cname} answers ${kres.status} matching its schema`);
    }
    // Without the key, a mutating operation is refused by the gateway with the Error shape.
    if (secured) {
      const anon = await call(gw, method, req.url, req.body, undefined, req.contentType);
      const w = anon.status === 401 ? checkResponse(spec, ajv, op, anon) : `expected 401, got ${anon.status}`;
      if (typeof w === "string") notOk(`${name} without X-API-Key is 401`, w);
      else ok(`${name} without X-API-Key is 401 with the Error schema`);
    }
  }
}

// ------------------------------------------------------------------ main
const [cmd, ...args] = process.argv.slice(2);
if (cmd === "spec") await checkSpec();
else if (cmd === "routes") checkRoutes(args[0], args.length > 1 ? args.slice(1) : SERVICES);
else if (cmd === "live") await checkLive(args[0], args[1]);
else {
  console.error("usage: contract.mjs spec | routes BIN_DIR [svc...] | live GW API_KEY");
  process.exit(2);
}
process.exit(failed ? 1 : 0);
