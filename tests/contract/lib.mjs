// Shared helpers of the contract tooling: read proto/openapi.yaml, turn its OpenAPI 3.0 schemas
// into JSON Schema for Ajv, list its operations.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import YAML from "yaml";
import Ajv from "ajv";
import addFormats from "ajv-formats";

export const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SPEC_PATH = path.join(TOP, "proto/openapi.yaml");
export const SERVICES = ["ingestion", "trainer", "forecast", "simulation", "compliance"];
export const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

export function loadSpec(file = SPEC_PATH) {
  return YAML.parse(readFileSync(file, "utf8"));
}

// Resolve a local "#/a/b" reference.
export function deref(spec, obj) {
  let o = obj;
  for (let i = 0; o && o.$ref && i < 20; i++) {
    if (!o.$ref.startsWith("#/")) throw new Error(`external $ref not supported: ${o.$ref}`);
    o = o.$ref
      .slice(2)
      .split("/")
      .reduce((a, k) => (a == null ? a : a[k.replace(/~1/g, "/").replace(/~0/g, "~")]), spec);
    if (o === undefined) throw new Error(`dangling $ref ${obj.$ref}`);
  }
  return o;
}

// Every operation: {path, method, op, pathItem}.
export function operations(spec) {
  const out = [];
  for (const [p, item] of Object.entries(spec.paths || {})) {
    for (const m of METHODS) if (item[m]) out.push({ path: p, method: m.toUpperCase(), op: item[m], pathItem: item });
  }
  return out;
}

// OpenAPI 3.0 schema object -> JSON Schema (draft-07) for Ajv: nullable, boolean exclusive
// bounds, examples and extensions; refs point into the document registered as SPEC_ID.
export const SPEC_ID = "gridflow-openapi";
export function toJsonSchema(s) {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (s === null || typeof s !== "object") return s;
  const o = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith("x-") || k === "example" || k === "nullable" || k === "xml" ||
        k === "externalDocs" || k === "discriminator" || k === "deprecated") continue;
    if (k === "$ref") { o.$ref = v.replace(/^#\/components\/schemas\//, `${SPEC_ID}#/definitions/`); continue; }
    if (k === "properties" || k === "definitions") {
      o[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, toJsonSchema(pv)]));
      continue;
    }
    if (k === "exclusiveMinimum" || k === "exclusiveMaximum") continue;
    o[k] = toJsonSchema(v);
  }
  if (s.exclusiveMinimum === true && "minimum" in s) { o.exclusiveMinimum = s.minimum; delete o.minimum; }
  if (s.exclusiveMaximum === true && "maximum" in s) { o.exclusiveMaximum = s.maximum; delete o.maximum; }
  if (s.nullable === true) {
    if (typeof o.type === "string") o.type = [o.type, "null"];
    else return { anyOf: [o, { type: "null" }] };
    if (Array.isArray(o.enum) && !o.enum.includes(null)) o.enum = [...o.enum, null];
  }
  return o;
}

export function makeAjv(spec) {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ $id: SPEC_ID, definitions: toJsonSchema(spec.components?.schemas || {}) });
  return ajv;
}

// A compiled validator for a media-type schema of the spec (cached by object identity).
const cache = new WeakMap();
export function validatorFor(ajv, schema) {
  if (!cache.has(schema)) cache.set(schema, ajv.compile(toJsonSchema(schema)));
  return cache.get(schema);
}

export function formatErrors(errors, max = 5) {
  return (errors || [])
    .slice(0, max)
    .map((e) => `${e.instancePath || "(root)"} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`)
    .join("; ");
}

// The gateway path of a service route: /v1/X -> /api/<svc>/X, /healthz -> /api/<svc>/healthz.
export function gatewayPath(svc, route) {
  if (/^\/(healthz|readyz|metrics)$/.test(route)) return `/api/${svc}${route}`;
  if (route.startsWith("/v1/")) return `/api/${svc}/${route.slice(4)}`;
  return null;
}
