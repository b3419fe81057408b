#!/usr/bin/env node
// The Power Apps custom connector (proto/powerapps/), generated from proto/openapi.yaml so the
// two never drift.
//
//   node powerapps.mjs generate   write proto/powerapps/apiDefinition.swagger.json + apiProperties.json
//   node powerapps.mjs check      validate the committed files (Swagger 2.0 schema + connector
//                                 rules) and compare them with a fresh generation
//
// The connector holds the operations marked `x-powerapps` in openapi.yaml ({operationId,
// summary, description, responses?, bodyDefaults?}). Conversion: OpenAPI 3.0 -> Swagger 2.0
// (body parameter, definitions), allOf flattened, nullable dropped (Power Platform has no null
// types; a null arrives as an absent value), x-ms-summary on every parameter and property
// (from the spec, else from the name), the key as the securestring connection parameter
// `api_key` sent in X-API-Key.
import { readFileSync, writeFileSync, statSync } from "node:fs";
import path from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { TOP, loadSpec, deref, operations } from "./lib.mjs";

const OUT_DIR = path.join(TOP, "proto/powerapps");
const DEF_FILE = path.join(OUT_DIR, "apiDefinition.swagger.json");
const PROPS_FILE = path.join(OUT_DIR, "apiProperties.json");
const MAX_BYTES = 1024 * 1024;
const PASCAL = /^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$/;

const humanize = (name) => {
  const s = String(name).replace(/_/g, " ").replace(/\s+/g, " ").trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
};

// ------------------------------------------------------------------ schema conversion
function makeConverter(spec) {
  const needed = new Set();
  const flattenAllOf = (s) => {
    const out = { type: "object", properties: {}, required: [] };
    for (const part0 of s.allOf) {
      const part = part0.$ref ? deref(spec, part0) : part0;
      const p = part.allOf ? flattenAllOf(part) : part;
      Object.assign(out.properties, p.properties || {});
      out.required.push(...(p.required || []));
      if (p.description && !out.description) out.description = p.description;
    }
    for (const k of ["description", "title"]) if (s[k]) out[k] = s[k];
    if (!out.required.length) delete out.required;
    return out;
  };
  const conv = (s, name) => {
    if (s === null || typeof s !== "object") return s;
    if (s.$ref) {
      const target = deref(spec, s);
      if (target.$ref === undefined && !target.allOf && s.$ref.startsWith("#/components/schemas/")) {
        const n = s.$ref.split("/").pop();
        needed.add(n);
        return { $ref: `#/definitions/${n}` };
      }
      return conv(target, name);
    }
    if (s.oneOf || s.anyOf) throw new Error(`schema ${name || ""} uses oneOf/anyOf: not for Power Apps`);
    if (s.allOf) return conv(flattenAllOf(s), name);
    const o = {};
    for (const [k, v] of Object.entries(s)) {
      if (k === "nullable" || k === "x-nullable" || k === "deprecated") continue;
      if (k === "properties") {
        o.properties = {};
        for (const [pk, pv] of Object.entries(v)) {
          const c = conv(pv, pk);
          if (!c.$ref && c["x-ms-summary"] === undefined) c["x-ms-summary"] = humanize(pk);
          o.properties[pk] = c;
        }
        continue;
      }
      if (k === "items") { o.items = conv(v, name); continue; }
      if (k === "additionalProperties") { o.additionalProperties = typeof v === "object" ? conv(v, name) : v; continue; }
      if (k === "enum") { o.enum = v.filter((x) => x !== null); continue; }
      if (k === "example" && v === null) continue;
      o[k] = v;
    }
    return o;
  };
  return { conv, needed };
}

function paramToSwagger2(spec, conv, p0) {
  const p = deref(spec, p0);
  const s = conv(p.schema || { type: "string" }, p.name);
  const o = { name: p.name, in: p.in, required: !!p.required || p.in === "path", type: s.type || "string" };
  for (const k of ["format", "default", "enum", "minimum", "maximum", "pattern", "maxLength", "minLength"]) {
    if (s[k] !== undefined) o[k] = s[k];
  }
  if (p.description) o.description = p.description;
  o["x-ms-summary"] = p["x-ms-summary"] || humanize(p.name);
  if (p["x-ms-visibility"]) o["x-ms-visibility"] = p["x-ms-visibility"];
  else if (p.required) o["x-ms-visibility"] = "important";
  if (p.example !== undefined) o["x-example"] = p.example;
  return o;
}

export function generate(spec = loadSpec()) {
  const { conv, needed } = makeConverter(spec);
  const paths = {};
  for (const { path: p, method, op, pathItem } of operations(spec)) {
    const pa = op["x-powerapps"];
    if (!pa) continue;
    const rel = p.replace(/^\/api/, "");
    const o = {
      tags: op.tags,
      operationId: pa.operationId,
      summary: pa.summary,
      description: pa.description || op.summary,
      "x-ms-visibility": "important",
      parameters: [...(pathItem.parameters || []), ...(op.parameters || [])].map((x) => paramToSwagger2(spec, conv, x)),
      responses: {},
    };
    if (op.requestBody) {
      const media = op.requestBody.content?.["application/json"];
      if (!media) throw new Error(`${method} ${p}: Power Apps operations take JSON bodies`);
      const schema = inlineBody(spec, conv, media.schema);
      for (const [field, value] of Object.entries(pa.bodyDefaults || {})) {
        if (!schema.properties?.[field]) throw new Error(`${pa.operationId}: bodyDefaults.${field} is not a body field`);
        schema.properties[field].default = value;
        schema.properties[field]["x-ms-visibility"] = "internal";
        schema.required = [...new Set([...(schema.required || []), field])];
      }
      o.parameters.push({ name: "body", in: "body", required: true, schema, "x-ms-summary": "Request" });
    }
    const codes = pa.responses || Object.keys(op.responses).filter((c) => /^2/.test(c));
    for (const code of codes) {
      const r = deref(spec, op.responses[code]);
      const media = r.content?.["application/json"];
      const out = { description: r.description };
      if (media?.schema) out.schema = conv(media.schema, `${pa.operationId}${code}`);
      if (r.headers) {
        out.headers = {};
        for (const [h, h0] of Object.entries(r.headers)) {
          const hd = deref(spec, h0);
          out.headers[h] = { type: hd.schema?.type || "string", description: hd.description || h };
        }
      }
      o.responses[code] = out;
    }
    o.responses.default = { description: "Error (GridFlow's error shape)", schema: conv({ $ref: "#/components/schemas/Error" }) };
    paths[rel] = paths[rel] || {};
    paths[rel][method.toLowerCase()] = o;
  }
  // Definitions: every schema referenced, transitively.
  const definitions = {};
  const done = new Set();
  while ([...needed].some((n) => !done.has(n))) {
    for (const n of [...needed]) {
      if (done.has(n)) continue;
      done.add(n);
      definitions[n] = conv(spec.components.schemas[n], n);
    }
  }
  const sortedDefs = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
  const def = {
    swagger: "2.0",
    info: {
      title: "GridFlow",
      description: "GridFlow grid operations: current load, anomalies, regional demand forecasts, optimal power flow jobs and EU energy-law questions. Generated from proto/openapi.yaml by tests/contract/powerapps.mjs; do not edit by hand.",
      version: spec.info.version,
      contact: { name: "GridFlow" },
    },
    host: "gridflow.example.com",
    basePath: "/api",
    schemes: ["https"],
    consumes: ["application/json"],
    produces: ["application/json"],
    paths,
    definitions: sortedDefs,
    securityDefinitions: { api_key: { type: "apiKey", in: "header", name: "X-API-Key" } },
    security: [{ api_key: [] }],
    tags: (spec.tags || []).filter((t) => Object.values(paths).some((pi) => Object.values(pi).some((x) => x.tags.includes(t.name)))),
  };
  const props = {
    properties: {
      connectionParameters: {
        api_key: {
          type: "securestring",
          uiDefinition: {
            displayName: "API key",
            description: "A GridFlow gateway API key, sent in the X-API-Key header",
            tooltip: "A GridFlow key with the scopes read and operate (scripts/keys.sh add --scope read,operate); ask the GridFlow operator",
            constraints: { tabIndex: 2, clearText: false, required: "true" },
          },
        },
      },
      iconBrandColor: "#1B2A3A",
      capabilities: [],
      publisher: "GridFlow",
      stackOwner: "GridFlow",
    },
  };
  return { def, props };
}

// A request body as an inline object schema (Power Apps renders its fields as inputs).
function inlineBody(spec, conv, schema) {
  const s = schema.$ref ? deref(spec, schema) : schema;
  return conv(s.allOf ? { allOf: s.allOf, description: s.description } : s);
}

const text = (o) => JSON.stringify(o, null, 2) + "\n";

// ------------------------------------------------------------------ rules
export function ruleProblems(def, props, bytes) {
  const problems = [];
  if (bytes >= MAX_BYTES) problems.push(`apiDefinition is ${bytes} bytes (limit 1 MB)`);
  const walk = (node, where) => {
    if (Array.isArray(node)) return node.forEach((x, i) => walk(x, `${where}[${i}]`));
    if (!node || typeof node !== "object") return;
    for (const k of ["oneOf", "anyOf", "nullable", "x-nullable"]) if (k in node) problems.push(`${where}: uses ${k}`);
    if (node.properties && typeof node.properties === "object") {
      for (const [pk, pv] of Object.entries(node.properties)) {
        if (!pv.$ref && !pv["x-ms-summary"]) problems.push(`${where}.properties.${pk}: no x-ms-summary`);
      }
    }
    for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`);
  };
  walk(def, "$");
  const ids = new Set();
  for (const [p, item] of Object.entries(def.paths || {})) {
    for (const [m, op] of Object.entries(item)) {
      const where = `${m.toUpperCase()} ${p}`;
      if (!PASCAL.test(op.operationId || "")) problems.push(`${where}: operationId '${op.operationId}' is not PascalCase`);
      if (ids.has(op.operationId)) problems.push(`${where}: duplicate operationId`);
      ids.add(op.operationId);
      if (!op.summary) problems.push(`${where}: no summary`);
      for (const prm of op.parameters || []) if (!prm["x-ms-summary"]) problems.push(`${where}: parameter ${prm.name} has no x-ms-summary`);
      for (const [code, r] of Object.entries(op.responses || {})) {
        if (code === "202" && !r.headers?.Location) problems.push(`${where}: 202 without a Location header`);
      }
    }
  }
  const sec = def.securityDefinitions?.api_key;
  if (!sec || sec.type !== "apiKey" || sec.in !== "header" || sec.name !== "X-API-Key") problems.push("securityDefinitions.api_key must be the X-API-Key header");
  if (props?.properties?.connectionParameters?.api_key?.type !== "securestring") problems.push("apiProperties: connectionParameters.api_key must be a securestring");
  return problems;
}

// ------------------------------------------------------------------ main
const cmd = process.argv[2];
if (cmd === "generate") {
  const { def, props } = generate();
  writeFileSync(DEF_FILE, text(def));
  writeFileSync(PROPS_FILE, text(props));
  console.log(`wrote ${path.relative(TOP, DEF_FILE)} (${Object.keys(def.paths).length} paths) and ${path.relative(TOP, PROPS_FILE)}`);
} else if (cmd === "check") {
  let failed = 0;
  const report = (good, msg, why) => {
    console.log(`${good ? "ok" : "not ok"} - ${msg}`);
    if (!good) { failed++; if (why) console.log(`    ${why.replace(/\n/g, "\n    ")}`); }
  };
  const defText = readFileSync(DEF_FILE, "utf8");
  const propsText = readFileSync(PROPS_FILE, "utf8");
  const def = JSON.parse(defText);
  const props = JSON.parse(propsText);
  try {
    await SwaggerParser.validate(structuredClone(def));
    report(true, "apiDefinition.swagger.json is valid Swagger 2.0");
  } catch (e) {
    report(false, "apiDefinition.swagger.json is valid Swagger 2.0", e.message);
  }
  const problems = ruleProblems(def, props, statSync(DEF_FILE).size);
  report(!problems.length, "connector rules: PascalCase operationIds, x-ms-summary everywhere, no oneOf/anyOf/nullable, < 1 MB, 202 + Location, securestring key", problems.join("\n"));
  let fresh;
  try { fresh = generate(); } catch (e) { report(false, "the connector generates from openapi.yaml", e.message); }
  if (fresh) {
    const same = text(fresh.def) === defText && text(fresh.props) === propsText;
    report(same, "committed connector equals a fresh generation from openapi.yaml",
      "run: node tests/contract/powerapps.mjs generate");
  }
  process.exit(failed ? 1 : 0);
} else {
  console.error("usage: powerapps.mjs generate | check");
  process.exit(2);
}
