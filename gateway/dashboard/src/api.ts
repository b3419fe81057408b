// The one place that knows the GridFlow REST API (proto/openapi.yaml; the gateway maps
// /api/<service>/X to the service's /v1/X). Pages call these functions and never fetch
// themselves, so when a response shape changes only this file changes.
//
// Every function either resolves with a normalised, typed value or rejects with an ApiError
// (status 0 = the network failed). Normalisers are tolerant: a field the service does not
// send becomes null/[] rather than an exception, so a page can show what it has.

export const SERVICES = ["ingestion", "trainer", "forecast", "simulation", "compliance"] as const;
export type Service = (typeof SERVICES)[number];

export class ApiError extends Error {
  status: number;
  code: string;
  details: unknown[];
  constructor(status: number, code: string, message: string, details: unknown[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
  /** The route is not there (yet): the service answers 404 route_not_found. */
  get missing(): boolean {
    return this.status === 404 && (this.code === "route_not_found" || this.code === "not_found");
  }
  /** The service is down or not ready (gateway 502/504, service 503). */
  get unavailable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

// ---------------------------------------------------------------- API key (mutating calls)

const KEY_STORE = "gridflow.apiKey";
let apiKey: string | null = null;

export function getApiKey(): string | null {
  if (apiKey) return apiKey;
  try {
    apiKey = sessionStorage.getItem(KEY_STORE);
  } catch {
    apiKey = null;
  }
  return apiKey;
}

export function setApiKey(k: string | null): void {
  apiKey = k;
  try {
    if (k) sessionStorage.setItem(KEY_STORE, k);
    else sessionStorage.removeItem(KEY_STORE);
  } catch {
    /* private mode: keep it in memory only */
  }
}

// ---------------------------------------------------------------- transport

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<RawResponse> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") {
    const k = getApiKey();
    if (k) headers["X-API-Key"] = k;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "network", "the gateway is not reachable");
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string; details?: unknown[] } })?.error;
    throw new ApiError(
      res.status,
      err?.code ?? `http_${res.status}`,
      err?.message ?? `${method} ${path} answered ${res.status}`,
      Array.isArray(err?.details) ? err!.details : [],
    );
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export async function get<T = unknown>(path: string, signal?: AbortSignal): Promise<T> {
  return (await send("GET", path, undefined, signal)).body as T;
}

export async function post<T = unknown>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return (await send("POST", path, body, signal)).body as T;
}

function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

// ---------------------------------------------------------------- tolerant readers

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);

/** First finite number among the (dotted) keys of o. */
export function pickNum(o: unknown, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = dig(o, k);
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  }
  return null;
}
export function pickStr(o: unknown, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = dig(o, k);
    if (typeof v === "string") return v;
    if (typeof v === "number") return String(v);
  }
  return null;
}
function pickArr(o: unknown, ...keys: string[]): unknown[] {
  if (Array.isArray(o)) return o;
  for (const k of keys) {
    const v = dig(o, k);
    if (Array.isArray(v)) return v;
  }
  return [];
}
function dig(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const part of path.split(".")) {
    if (!isObj(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Epoch seconds from an RFC 3339 string, epoch seconds or epoch milliseconds. */
export function toEpoch(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v > 1e11 ? v / 1000 : v;
  if (typeof v === "string") {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t / 1000;
  }
  return null;
}
function pickTime(o: unknown, ...keys: string[]): number | null {
  for (const k of keys) {
    const t = toEpoch(dig(o, k));
    if (t !== null) return t;
  }
  return null;
}

// ---------------------------------------------------------------- every service

export interface ServiceInfo {
  name: string;
  version: string | null;
  git_rev: string | null;
  uptime_seconds: number | null;
  raw: Obj;
}
export interface Readiness {
  ready: boolean;
  checks: { name: string; ok: boolean; message: string | null }[];
  error: string | null;
}

export async function serviceInfo(svc: Service, signal?: AbortSignal): Promise<ServiceInfo> {
  const j = await get<Obj>(`/api/${svc}/info`, signal);
  return {
    name: pickStr(j, "name") ?? svc,
    version: pickStr(j, "version"),
    git_rev: pickStr(j, "git_rev", "git_revision", "revision", "git"),
    uptime_seconds: pickNum(j, "uptime_seconds"),
    raw: isObj(j) ? j : {},
  };
}

export async function serviceReady(svc: Service, signal?: AbortSignal): Promise<Readiness> {
  const readChecks = (j: unknown) => {
    const c = dig(j, "checks");
    if (!isObj(c)) return [];
    return Object.entries(c).map(([name, v]) => ({
      name,
      ok: isObj(v) ? v.ok === true : v === true,
      message: isObj(v) ? pickStr(v, "message", "error", "detail") : null,
    }));
  };
  try {
    const j = await get<Obj>(`/api/${svc}/readyz`, signal);
    return { ready: j?.ready !== false, checks: readChecks(j), error: null };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    // 503 carries the error shape with per-check details.
    const checks: Readiness["checks"] = [];
    for (const d of e.details) {
      if (isObj(d)) {
        checks.push({
          name: pickStr(d, "check", "name", "field") ?? "check",
          ok: d.ok === true,
          message: pickStr(d, "message", "reason", "error"),
        });
      }
    }
    return { ready: false, checks, error: e.message };
  }
}

// ---------------------------------------------------------------- ingestion

export interface RegionLoad {
  region: string;
  name: string | null;
  load_mw: number | null;
  meters: number | null;
  updated: number | null; // epoch s
}
export interface IngestionSummary {
  total_load_mw: number | null;
  meters_reporting: number | null;
  readings_per_second: number | null;
  rejected: number | null;
  accepted: number | null;
  open_anomalies: number | null;
  regions: RegionLoad[];
  raw: Obj;
}

function regionLoad(r: unknown, key?: string): RegionLoad {
  return {
    region: pickStr(r, "region", "code", "id") ?? key ?? "?",
    name: pickStr(r, "name"),
    load_mw: pickNum(r, "load_mw", "live_load_mw", "demand_mw", "total_load_mw", "mw", "kw_to_mw"),
    meters: pickNum(r, "meters", "meters_reporting", "meter_count"),
    updated: pickTime(r, "updated", "updated_at", "ts", "last_reading", "last_ts"),
  };
}

export async function ingestionSummary(signal?: AbortSignal): Promise<IngestionSummary> {
  const j = await get<Obj>(`/api/ingestion/summary`, signal);
  let regions: RegionLoad[] = [];
  const r = dig(j, "regions") ?? dig(j, "live.regions") ?? dig(j, "load_by_region");
  if (Array.isArray(r)) regions = r.map((x) => regionLoad(x));
  else if (isObj(r))
    regions = Object.entries(r).map(([k, v]) => (isObj(v) ? regionLoad(v, k) : regionLoad({ load_mw: v }, k)));
  return {
    total_load_mw: pickNum(j, "total_load_mw", "load_mw", "live.total_load_mw", "totals.load_mw"),
    meters_reporting: pickNum(j, "meters_reporting", "meters.reporting", "live.meters_reporting", "meters"),
    readings_per_second: pickNum(j, "readings_per_second", "rate.readings_per_second", "readings_per_s", "live.readings_per_second"),
    rejected: pickNum(j, "rejected", "rejections", "readings.rejected", "totals.rejected", "rejected_total"),
    accepted: pickNum(j, "accepted", "readings.accepted", "totals.accepted", "accepted_total"),
    open_anomalies: pickNum(j, "open_anomalies", "anomalies.open", "anomalies_open"),
    regions,
    raw: isObj(j) ? j : {},
  };
}

export interface RegionInfo {
  region: string;
  name: string | null;
  hours: number | null;
  from: number | null;
  to: number | null;
}
export async function regions(signal?: AbortSignal): Promise<RegionInfo[]> {
  const j = await get(`/api/ingestion/regions`, signal);
  return pickArr(j, "regions")
    .map((r) =>
      typeof r === "string"
        ? { region: r, name: null, hours: null, from: null, to: null }
        : {
            region: pickStr(r, "region", "code", "id") ?? "?",
            name: pickStr(r, "name"),
            hours: pickNum(r, "hours", "count", "points", "n"),
            from: pickTime(r, "from", "first", "start"),
            to: pickTime(r, "to", "last", "end"),
          },
    )
    .filter((r) => r.region !== "?");
}

export interface Series {
  t: number[]; // epoch seconds
  v: (number | null)[];
}
function readSeries(j: unknown, valueKeys: string[]): Series {
  const t: number[] = [];
  const v: (number | null)[] = [];
  const ts = dig(j, "timestamps");
  const vs = dig(j, "values") ?? dig(j, "demand_mw");
  if (Array.isArray(ts) && Array.isArray(vs)) {
    ts.forEach((x, i) => {
      const e = toEpoch(x);
      if (e !== null) {
        t.push(e);
        v.push(typeof vs[i] === "number" ? (vs[i] as number) : null);
      }
    });
    return { t, v };
  }
  for (const p of pickArr(j, "points", "series", "data", "demand", "rows", "history")) {
    let e: number | null;
    let y: number | null;
    if (Array.isArray(p)) {
      e = toEpoch(p[0]);
      y = typeof p[1] === "number" ? p[1] : null;
    } else {
      e = pickTime(p, "ts", "timestamp", "time", "t", "hour");
      y = pickNum(p, ...valueKeys);
    }
    if (e !== null) {
      t.push(e);
      v.push(y);
    }
  }
  return { t, v };
}

export async function demand(region: string, from?: string, to?: string, signal?: AbortSignal): Promise<Series> {
  const j = await get(`/api/ingestion/demand${qs({ region, from, to })}`, signal);
  return readSeries(j, ["demand_mw", "value", "mw", "v", "y"]);
}

export interface Anomaly {
  id: string;
  ts: number | null;
  region: string | null;
  meter: string | null;
  kind: string; // spike | drop | meter_implausible
  severity: string | null; // warning | critical
  value: number | null; // actual
  expected: number | null;
  field: string | null;
  score: number | null;
  message: string | null;
}
/** GET /v1/anomalies?region&from&to (services/ingestion/README.md). */
export async function anomalies(params: { region?: string; from?: string; to?: string } = {}, signal?: AbortSignal): Promise<Anomaly[]> {
  const j = await get(`/api/ingestion/anomalies${qs(params)}`, signal);
  return pickArr(j, "anomalies", "items").map((a, i) => ({
    id: pickStr(a, "id") ?? String(i),
    ts: pickTime(a, "t", "ts", "timestamp", "time", "at", "detected_at"),
    region: pickStr(a, "region"),
    meter: pickStr(a, "meter_id", "meter"),
    kind: pickStr(a, "type", "kind", "rule", "code") ?? "anomaly",
    severity: pickStr(a, "severity"),
    value: pickNum(a, "actual", "value", "kw", "mw", "demand_mw"),
    expected: pickNum(a, "expected"),
    field: pickStr(a, "field"),
    score: pickNum(a, "score", "z", "zscore", "severity"),
    message: pickStr(a, "message", "reason", "detail"),
  }));
}

// ---------------------------------------------------------------- trainer (registry, jobs)

export interface Metrics {
  mae: number | null;
  rmse: number | null;
  mape: number | null;
  smape: number | null;
  r2: number | null;
  n: number | null;
}
function readMetrics(m: unknown): Metrics | null {
  if (!isObj(m)) return null;
  const base = isObj(m.model) ? m.model : m;
  return {
    mae: pickNum(base, "mae"),
    rmse: pickNum(base, "rmse"),
    mape: pickNum(base, "mape"),
    smape: pickNum(base, "smape"),
    r2: pickNum(base, "r2"),
    n: pickNum(base, "n"),
  };
}

export interface ModelVersion {
  version: number;
  created: number | null;
  metrics: Metrics | null;
  baseline: Metrics | null; // same hour last week (the naive baseline)
  train_from: number | null;
  train_to: number | null;
  /** The last hour the model saw: the end of its training or of its backtest window. */
  data_end: number | null;
  aliases: string[];
  raw: Obj;
}
export interface AliasEvent {
  alias: string;
  version: number | null;
  previous: number | null;
  at: number | null;
  actor: string | null;
  action: string | null;
}
export interface Model {
  name: string;
  region: string | null;
  aliases: Record<string, number>;
  versions: ModelVersion[];
  history: AliasEvent[];
  latest: number | null;
  n_versions: number;
}

function readAliases(a: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (isObj(a)) {
    for (const [k, v] of Object.entries(a)) {
      const n = typeof v === "number" ? v : pickNum(v, "version");
      if (n !== null) out[k] = n;
    }
  } else if (Array.isArray(a)) {
    for (const x of a) {
      const k = pickStr(x, "alias", "name");
      const n = pickNum(x, "version");
      if (k && n !== null) out[k] = n;
    }
  }
  return out;
}

function readVersion(v: unknown, aliases: Record<string, number>): ModelVersion {
  const version = pickNum(v, "version", "v", "id") ?? 0;
  const metrics = dig(v, "metrics") ?? dig(v, "meta.metrics") ?? dig(v, "result.metrics");
  const tr = dig(v, "train_range") ?? dig(v, "meta.train_range") ?? dig(v, "data_range");
  return {
    version,
    created: pickTime(v, "created_at", "created", "trained_at", "registered_at", "meta.created_at", "ts"),
    metrics: readMetrics(metrics),
    baseline: isObj(metrics) ? readMetrics(metrics.same_hour_last_week ?? null) : null,
    train_from: pickTime(tr, "from", "from_epoch"),
    train_to: pickTime(tr, "to", "to_epoch"),
    data_end: maxOrNull(pickTime(tr, "to_epoch", "to"), pickTime(metrics, "test_range.to_epoch", "test_range.to")),
    aliases: Object.entries(aliases)
      .filter(([, n]) => n === version)
      .map(([k]) => k),
    raw: isObj(v) ? v : {},
  };
}

function maxOrNull(...v: (number | null)[]): number | null {
  const n = v.filter((x): x is number => x !== null);
  return n.length ? Math.max(...n) : null;
}

function readModel(m: unknown): Model {
  const name = pickStr(m, "name", "model") ?? "?";
  const aliases = readAliases(dig(m, "aliases"));
  const versions = pickArr(m, "versions").map((v) =>
    typeof v === "number" ? readVersion({ version: v }, aliases) : readVersion(v, aliases),
  );
  versions.sort((a, b) => b.version - a.version);
  const history = pickArr(m, "history", "alias_history", "events", "audit").map((h) => ({
    alias: pickStr(h, "alias") ?? "?",
    version: pickNum(h, "version", "to", "new_version"),
    previous: pickNum(h, "previous", "from", "old_version", "prev"),
    at: pickTime(h, "at", "ts", "time", "changed_at"),
    actor: pickStr(h, "who", "actor", "by", "user"),
    action: pickStr(h, "reason", "action", "event", "kind"),
  }));
  // Newest first; the API lists oldest first, so changes within one second keep their order.
  history.reverse();
  history.sort((a, b) => (b.at ?? 0) - (a.at ?? 0));
  return {
    name,
    region: pickStr(m, "region") ?? (name.includes(":") ? name.split(":").slice(1).join(":") : null),
    aliases,
    versions,
    history,
    latest: pickNum(m, "latest", "latest_version") ?? (versions[0]?.version ?? null),
    n_versions: typeof dig(m, "versions") === "number" ? (dig(m, "versions") as number) : versions.length,
  };
}

/** The version a rollback of `alias` would return to: the `from` of the alias's latest change
 *  (the registry refuses a rollback when that change created the alias), if that version is
 *  still registered; null when there is nothing to roll back to. */
export function rollbackTarget(m: Model, alias: string): number | null {
  const last = m.history.find((h) => h.alias === alias);
  if (!last || last.previous == null || last.version !== m.aliases[alias]) return null;
  return m.versions.some((v) => v.version === last.previous) ? last.previous : null;
}

/** Days of newer data than a model has seen before it counts as stale. */
export const STALE_DAYS = 7;
export interface Staleness {
  version: number; // the version judged: production, else the latest
  data_end: number; // the last hour it saw
  newest: number; // the region's newest hour of data
  days: number; // newest - data_end, in days
  stale: boolean;
  /** A newer version that has seen recent data but is not production (it did not win its
   *  champion/challenger check, or promotion was off), when there is one. */
  fresher: number | null;
}
/** Whether the model serving a region (production, else its latest version) was trained on
 *  data that ends long before the region's newest data. null when either end is unknown. */
export function staleness(m: Model, newest: number | null): Staleness | null {
  const v = m.versions.find((x) => x.version === m.aliases.production) ?? m.versions[0];
  if (!v || v.data_end === null || newest === null) return null;
  const days = (newest - v.data_end) / 86400;
  const fresher = m.versions.find((x) => x.version > v.version && x.data_end !== null && (newest - x.data_end) / 86400 <= STALE_DAYS);
  return { version: v.version, data_end: v.data_end, newest, days, stale: days > STALE_DAYS, fresher: fresher?.version ?? null };
}

export async function models(signal?: AbortSignal): Promise<Model[]> {
  const j = await get(`/api/trainer/models`, signal);
  return pickArr(j, "models").map((m) => (typeof m === "string" ? readModel({ name: m }) : readModel(m)));
}

/** One region's retraining schedule (trainer GET /v1/schedule). Times are epoch seconds. */
export interface RetrainSchedule {
  region: string;
  enabled: boolean;
  every_hours: number;
  after_days: number;
  next_run: number | null;
  last_run: number | null;
  running_job: string | null;
  due: string | null;
  last: { job: string | null; state: string | null; promoted: boolean; reason: string | null; version: number | null; at: number | null } | null;
}

export function readSchedule(o: unknown): RetrainSchedule {
  const lr = isObj(o) ? o["last_result"] : null;
  return {
    region: pickStr(o, "region") ?? "?",
    enabled: isObj(o) ? o["enabled"] !== false : true,
    every_hours: pickNum(o, "every_hours") ?? 0,
    after_days: pickNum(o, "after_days") ?? 0,
    next_run: pickTime(o, "next_run"),
    last_run: pickTime(o, "last_run"),
    running_job: pickStr(o, "job"),
    due: pickStr(o, "due"),
    last: isObj(lr)
      ? {
          job: pickStr(lr, "job"),
          state: pickStr(lr, "state"),
          promoted: lr["promoted"] === true,
          reason: pickStr(lr, "reason"),
          version: pickNum(lr, "version"),
          at: pickTime(lr, "finished_at"),
        }
      : null,
  };
}

export async function retrainSchedule(signal?: AbortSignal): Promise<RetrainSchedule[]> {
  const j = await get(`/api/trainer/schedule`, signal);
  return pickArr(j, "regions").map(readSchedule);
}

export async function model(name: string, signal?: AbortSignal): Promise<Model> {
  return readModel(await get(`/api/trainer/models/${encodeURIComponent(name)}`, signal));
}

// POST /v1/models/{name}/aliases (libs/registry/include/registry/meta.h): exactly one of
// "version" or "rollback": true; "expect" makes it compare-and-set (409 when another operator
// moved the alias first); unknown members are refused.
/** Point an alias at a version (promotion). */
export async function setAlias(name: string, alias: string, version: number, reason?: string, expect?: number | null): Promise<unknown> {
  const body: Obj = { alias, version, who: "dashboard" };
  if (reason) body.reason = reason;
  if (expect !== undefined) body.expect = expect ?? 0;
  return post(`/api/trainer/models/${encodeURIComponent(name)}/aliases`, body);
}
/** Move an alias back to the version it pointed at before its last change. */
export async function rollbackAlias(name: string, alias: string, reason?: string): Promise<unknown> {
  const body: Obj = { alias, rollback: true, who: "dashboard" };
  if (reason) body.reason = reason;
  return post(`/api/trainer/models/${encodeURIComponent(name)}/aliases`, body);
}

export interface JobResult {
  region: string;
  state: string;
  model: string | null;
  version: number | null;
  alias: string | null;
  promoted: boolean;
  mape: number | null;
  reason: string | null;
  error: string | null;
}
export interface Job {
  id: string;
  status: string; // queued | running | succeeded | partial | failed
  region: string | null;
  progress: number | null; // 0..1
  message: string | null; // "PJM · search (candidate 3/6, round 140)"
  created: number | null;
  finished: number | null;
  version: number | null;
  metrics: Metrics | null;
  error: string | null;
  results: JobResult[];
}
// Stages of one region in a training job (services/trainer/README.md), in order.
const JOB_STAGES = ["loading", "features", "search", "calibration", "refit", "backtest", "save", "champion", "register"];
/** GET /v1/jobs/{id}: {id, state, regions, progress: {regions, regions_done, region, stage,
 *  candidate, candidates, round, max_rounds}, results: [{region, state, version, alias, metrics,
 *  champion_challenger: {reason}, error: {code, message}}], error: {message} | string | null}. */
export function readJob(j: unknown): Job {
  const p = dig(j, "progress");
  let progress: number | null = null;
  let message: string | null = null;
  if (isObj(p)) {
    const n = pickNum(p, "regions");
    const done = pickNum(p, "regions_done") ?? 0;
    const stage = pickStr(p, "stage");
    let within = 0;
    if (stage) {
      const k = JOB_STAGES.indexOf(stage);
      within = k < 0 ? 0 : k / JOB_STAGES.length;
      const c = pickNum(p, "candidate"), cs = pickNum(p, "candidates");
      if (stage === "search" && c !== null && cs) within += (Math.min(c, cs) - 1) / cs / JOB_STAGES.length;
      const region = pickStr(p, "region");
      const round = pickNum(p, "round");
      message = `${region ? `${region} · ` : ""}${stage}${c !== null && cs ? ` (candidate ${c}/${cs}${round !== null ? `, round ${round}` : ""})` : ""}`;
    }
    if (n) progress = Math.min(1, (done + (done < n ? within : 0)) / n);
  } else {
    progress = pickNum(j, "progress", "fraction");
    if (progress !== null && progress > 1) progress = progress / 100;
    message = pickStr(j, "message", "stage");
  }
  const regionsArr = dig(j, "regions");
  const results: JobResult[] = pickArr(j, "results").map((r) => ({
    region: pickStr(r, "region") ?? "?",
    state: pickStr(r, "state", "status") ?? "?",
    model: pickStr(r, "model"),
    version: pickNum(r, "version"),
    alias: pickStr(r, "alias"),
    promoted: dig(r, "promoted") === true,
    mape: pickNum(r, "mape", "metrics.model.mape"),
    reason: pickStr(r, "champion_challenger.reason"),
    error: pickStr(r, "error.message", "error.code", "error"),
  }));
  const first = pickArr(j, "results")[0];
  return {
    id: pickStr(j, "id", "job_id") ?? "?",
    status: pickStr(j, "state", "status") ?? "unknown",
    region: pickStr(j, "region") ?? (Array.isArray(regionsArr) ? regionsArr.join(", ") : dig(j, "all") === true ? "all" : null),
    progress,
    message,
    created: pickTime(j, "created_at", "created", "submitted_at"),
    finished: pickTime(j, "finished_at", "finished", "done_at"),
    version: results.length === 1 ? results[0].version : pickNum(j, "version"),
    metrics: readMetrics(first !== undefined ? dig(first, "metrics") : dig(j, "metrics")),
    error: pickStr(j, "error.message", "error.code", "error"),
    results,
  };
}
export async function jobs(limit = 20, signal?: AbortSignal): Promise<Job[]> {
  const j = await get(`/api/trainer/jobs${qs({ limit })}`, signal);
  return pickArr(j, "jobs").map(readJob);
}
export async function job(id: string, signal?: AbortSignal): Promise<Job> {
  return readJob(await get(`/api/trainer/jobs/${encodeURIComponent(id)}`, signal));
}
/** POST /v1/jobs {regions, promote}: 202 with the queued job. promote=false only stages. */
export async function startTraining(regions: string[], opts: { promote?: boolean } = {}): Promise<Job> {
  const body: Obj = { regions };
  if (opts.promote === false) body.promote = false;
  return readJob(await post(`/api/trainer/jobs`, body));
}

// ---------------------------------------------------------------- forecast

export interface ForecastPoint {
  t: number;
  mean: number | null;
  /** Central prediction intervals by coverage in percent: {80: [lo, hi], 90: [lo, hi]}. */
  iv: Record<number, [number | null, number | null]>;
}
export interface Forecast {
  region: string;
  model: string | null;
  version: number | null;
  alias: string | null;
  trained: number | null;
  metrics: Metrics | null;
  points: ForecastPoint[];
  /** Interval coverages present in the points, widest first (e.g. [90, 80, 50]). */
  levels: number[];
  history: Series;
  /** Highest hourly demand of the 365 days before the origin. */
  peak_mw: number | null;
  origin: number | null;
  raw: Obj;
}

const COVERAGES = [99, 98, 95, 90, 80, 50];

/** Intervals of one point in any of the shapes a service may write:
 *  {lower_80, upper_80} | {lo80, hi80} | {intervals: {"80": [lo, hi]} | [{level: 0.8, lower, upper}]}
 *  | {quantiles: {"0.1": x, "0.9": y}} | {quantiles: [{q: 0.1, value}]} | {p10, p90} | {q10, q90}. */
function readIntervals(p: unknown): Record<number, [number | null, number | null]> {
  const out: Record<number, [number | null, number | null]> = {};
  const put = (cov: number, lo: number | null, hi: number | null) => {
    if (lo !== null || hi !== null) out[Math.round(cov)] = [lo, hi];
  };
  for (const c of COVERAGES) {
    put(c, pickNum(p, `lower_${c}`, `lo${c}`, `lo_${c}`), pickNum(p, `upper_${c}`, `hi${c}`, `hi_${c}`));
  }
  const iv = dig(p, "intervals") ?? dig(p, "interval");
  if (isObj(iv)) {
    for (const [k, e] of Object.entries(iv)) {
      let c = Number(k.replace("%", ""));
      if (!Number.isFinite(c)) continue;
      if (c <= 1) c *= 100;
      if (Array.isArray(e)) put(c, typeof e[0] === "number" ? e[0] : null, typeof e[1] === "number" ? e[1] : null);
      else if (isObj(e)) put(c, pickNum(e, "lower", "lo"), pickNum(e, "upper", "hi"));
    }
  } else if (Array.isArray(iv)) {
    for (const e of iv) {
      let c = pickNum(e, "level", "coverage");
      if (c === null) continue;
      if (c <= 1) c *= 100;
      put(c, pickNum(e, "lower", "lo"), pickNum(e, "upper", "hi"));
    }
  }
  // Quantiles: pair q with 1 - q.
  const qs = new Map<number, number>();
  const qv = dig(p, "quantiles");
  if (isObj(qv)) for (const [k, v] of Object.entries(qv)) if (typeof v === "number" && Number.isFinite(Number(k))) qs.set(Number(k), v);
  if (Array.isArray(qv)) for (const e of qv) {
    const q = pickNum(e, "q", "level", "quantile");
    const v = pickNum(e, "value", "v", "mw");
    if (q !== null && v !== null) qs.set(q, v);
  }
  for (const [pre, scale] of [["p", 100], ["q", 100]] as const)
    for (const lvl of [1, 2.5, 5, 10, 25]) {
      const lo = pickNum(p, `${pre}${String(lvl).replace(".", "_")}`, `${pre}${String(lvl).padStart(2, "0")}`);
      const hi = pickNum(p, `${pre}${String(100 - lvl).replace(".", "_")}`);
      if (lo !== null && hi !== null) qs.set(lvl / scale, lo), qs.set(1 - lvl / scale, hi);
    }
  for (const [q, lo] of qs) {
    if (q >= 0.5) continue;
    const hi = [...qs.entries()].find(([q2]) => Math.abs(q2 - (1 - q)) < 1e-6)?.[1];
    if (hi !== undefined && out[Math.round((1 - 2 * q) * 100)] === undefined) put((1 - 2 * q) * 100, lo, hi);
  }
  return out;
}

/** GET /v1/forecast?region&horizon[&start][&history] (services/forecast/README.md: {region,
 *  model: {name, version, alias, created_at}, origin, peak_mw, levels, points: [{ts, point, p10,
 *  p50, p90, recursive}], history: [{ts, demand_mw}]}). The actuals before the first forecast
 *  hour come from the route's `history` (0..720 h); when it sends none they are read from
 *  ingestion's /demand (empty when that fails). */
export async function forecast(region: string, horizon: number, history: number, signal?: AbortSignal, start?: string): Promise<Forecast> {
  const hist = Math.max(0, Math.min(720, Math.round(history)));
  const j = await get<Obj>(`/api/forecast/forecast${qs({ region, horizon, start, history: hist || undefined })}`, signal);
  const points: ForecastPoint[] = [];
  const seen = new Set<number>();
  for (const p of pickArr(j, "points", "forecast", "predictions", "hours")) {
    const t = pickTime(p, "ts", "timestamp", "time", "t", "hour");
    if (t === null) continue;
    const iv = readIntervals(p);
    Object.keys(iv).forEach((k) => seen.add(Number(k)));
    points.push({ t, mean: pickNum(p, "mean", "yhat", "value", "demand_mw", "point", "mw", "p50", "q50"), iv });
  }
  const m = dig(j, "model");
  return {
    region: pickStr(j, "region") ?? region,
    model: isObj(m) ? pickStr(m, "name") : pickStr(j, "model", "model_name"),
    version: isObj(m) ? pickNum(m, "version") : pickNum(j, "version", "model_version"),
    alias: isObj(m) ? pickStr(m, "alias") : pickStr(j, "alias"),
    trained: pickTime(isObj(m) ? m : j, "trained_at", "created_at", "created", "registered_at"),
    metrics: readMetrics(isObj(m) ? (m.metrics ?? null) : dig(j, "metrics")),
    points,
    levels: [...seen].sort((a, b) => b - a),
    history: await actualsBefore(j, region, points[0]?.t ?? null, hist, signal),
    peak_mw: pickNum(j, "peak_mw"),
    origin: pickTime(j, "origin", "start"),
    raw: isObj(j) ? j : {},
  };
}

async function actualsBefore(j: Obj, region: string, first: number | null, hours: number, signal?: AbortSignal): Promise<Series> {
  const inline = readSeries({ points: dig(j, "history") ?? dig(j, "actuals") ?? [] }, ["demand_mw", "value", "actual", "mw", "y"]);
  if (inline.t.length || hours <= 0 || first === null) return inline;
  const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19) + "Z";
  try {
    return await demand(region, iso(first - hours * 3600), iso(first - 3600), signal);
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
    return { t: [], v: [] };
  }
}

export interface LoadedModel {
  name: string;
  region: string | null;
  version: number | null;
  alias: string | null;
  loaded: number | null;
}
export async function loadedModels(signal?: AbortSignal): Promise<LoadedModel[]> {
  const j = await get(`/api/forecast/models/loaded`, signal);
  let list = pickArr(j, "models", "loaded");
  if (!list.length && isObj(j) && isObj(j.models))
    list = Object.entries(j.models).map(([k, v]) => ({ name: k, ...(isObj(v) ? v : { version: v }) }));
  return list.map((m) => {
    const name = pickStr(m, "name", "model") ?? "?";
    return {
      name,
      region: pickStr(m, "region") ?? (name.includes(":") ? name.split(":")[1] : null),
      version: pickNum(m, "version"),
      alias: pickStr(m, "alias"),
      loaded: pickTime(m, "loaded_at", "loaded", "since"),
    };
  });
}

// ---------------------------------------------------------------- simulation

export interface CaseInfo {
  name: string;
  buses: number | null;
  branches: number | null;
  gens: number | null;
  load_mw: number | null;
  title: string | null;
}
export async function cases(signal?: AbortSignal): Promise<CaseInfo[]> {
  const j = await get(`/api/simulation/cases`, signal);
  return pickArr(j, "cases").map((c) =>
    typeof c === "string"
      ? { name: c, buses: null, branches: null, gens: null, load_mw: null, title: null }
      : {
          name: pickStr(c, "name", "id", "case") ?? "?",
          buses: pickNum(c, "buses", "n_bus", "nbus", "counts.bus"),
          branches: pickNum(c, "branches", "n_branch", "nbranch", "counts.branch"),
          gens: pickNum(c, "generators", "gens", "n_gen", "ngen", "counts.gen"),
          load_mw: pickNum(c, "load_mw", "total_load_mw", "pd_mw"),
          title: pickStr(c, "title", "description", "source"),
        },
  );
}

export type LoadSource =
  | { source: "case" }
  | { source: "scaled"; scale: number }
  | { source: "forecast"; region: string; at: string };

export interface OpfRequest {
  case: string;
  mode: "ac" | "dc";
  load: LoadSource;
  outages: number[]; // branch rows (0-based, in case order)
}

export interface BusResult {
  id: number;
  vm_pu: number | null;
  va_degree: number | null;
  pd_mw: number | null;
  lmp: number | null;
  in_service: boolean;
}
export interface BranchResult {
  index: number;
  fbus: number;
  tbus: number;
  in_service: boolean;
  pf_mw: number | null;
  pt_mw: number | null;
  loading_percent: number | null;
}
export interface GenResult {
  index: number;
  bus: number;
  p_mw: number | null;
  q_mvar: number | null;
  at_pmax: boolean;
  at_pmin: boolean;
  in_service: boolean;
}
export interface Binding {
  type: string;
  index: number | null;
  value: number | null;
  limit: number | null;
  mu: number | null;
}
export interface OpfResult {
  kind: string;
  converged: boolean;
  status: string;
  objective: number | null;
  time_s: number | null;
  iterations: number | null;
  totals: { load_mw: number | null; gen_mw: number | null; losses_mw: number | null };
  bus: BusResult[];
  branch: BranchResult[];
  gen: GenResult[];
  binding: Binding[];
  load_source: { kind: string | null; scale: number | null; region: string | null; at: number | null; forecast_mw: number | null; note: string | null };
  raw: Obj;
}

export function readOpf(j0: unknown): OpfResult {
  const j = isObj(j0) && isObj(j0.result) ? j0.result : j0;
  return {
    kind: pickStr(j, "kind", "mode") ?? "opf",
    converged: dig(j, "converged") !== false,
    status: pickStr(j, "status") ?? "",
    objective: pickNum(j, "objective", "cost", "objective_cost"),
    time_s: pickNum(j, "time_s", "solve_time_s"),
    iterations: pickNum(j, "iterations"),
    totals: {
      load_mw: pickNum(j, "totals.load_mw"),
      gen_mw: pickNum(j, "totals.gen_mw"),
      losses_mw: pickNum(j, "totals.losses_mw"),
    },
    bus: pickArr(j, "bus", "buses").map((b) => ({
      id: pickNum(b, "id", "bus") ?? 0,
      vm_pu: pickNum(b, "vm_pu", "vm"),
      va_degree: pickNum(b, "va_degree", "va"),
      pd_mw: pickNum(b, "pd_mw"),
      lmp: pickNum(b, "lmp"),
      in_service: dig(b, "in_service") !== false,
    })),
    branch: pickArr(j, "branch", "branches").map((b, i) => ({
      index: pickNum(b, "index") ?? i,
      fbus: pickNum(b, "fbus", "from") ?? 0,
      tbus: pickNum(b, "tbus", "to") ?? 0,
      in_service: dig(b, "in_service") !== false,
      pf_mw: pickNum(b, "pf_mw"),
      pt_mw: pickNum(b, "pt_mw"),
      loading_percent: pickNum(b, "loading_percent", "loading"),
    })),
    gen: pickArr(j, "gen", "gens", "generators").map((g, i) => ({
      index: pickNum(g, "index") ?? i,
      bus: pickNum(g, "bus") ?? 0,
      p_mw: pickNum(g, "p_mw", "pg_mw"),
      q_mvar: pickNum(g, "q_mvar", "qg_mvar"),
      at_pmax: dig(g, "at_pmax") === true,
      at_pmin: dig(g, "at_pmin") === true,
      in_service: dig(g, "in_service") !== false,
    })),
    binding: pickArr(j, "binding", "binding_constraints").map((b) => ({
      type: pickStr(b, "type", "kind") ?? "?",
      index: pickNum(b, "index"),
      value: pickNum(b, "value"),
      limit: pickNum(b, "limit"),
      mu: pickNum(b, "mu"),
    })),
    load_source: {
      kind: pickStr(j, "load_source.kind"),
      scale: pickNum(j, "load_source.scale"),
      region: pickStr(j, "load_source.region"),
      at: pickTime(j, "load_source.at"),
      forecast_mw: pickNum(j, "load_source.forecast_mw"),
      note: pickStr(j, "load_source.note"),
    },
    raw: isObj(j) ? j : {},
  };
}

// Body of POST /v1/opf, /v1/contingencies (services/simulation/sim_request.h):
// {case, mode, load: {scale} | {forecast: {region, at}}, outages: {branches: [rows]}}
function opfBody(r: OpfRequest): Obj {
  const body: Obj = { case: r.case, mode: r.mode };
  if (r.load.source === "scaled") body.load = { scale: r.load.scale };
  if (r.load.source === "forecast") body.load = { forecast: { region: r.load.region, at: r.load.at } };
  if (r.outages.length) body.outages = { branches: r.outages };
  return body;
}

export async function runOpf(r: OpfRequest, signal?: AbortSignal, onProgress?: (p: JobProgress) => void): Promise<OpfResult> {
  return readOpf(await runMaybeJob("/api/simulation/opf", opfBody(r), signal, onProgress));
}

/** AC power flow of a case as given (POST /v1/powerflow, mode ac). */
export async function runPowerflow(caseName: string, signal?: AbortSignal, onProgress?: (p: JobProgress) => void): Promise<OpfResult> {
  return readOpf(await runMaybeJob("/api/simulation/powerflow", { case: caseName, mode: "ac" }, signal, onProgress));
}

export interface Contingency {
  branch: number;
  fbus: number | null;
  tbus: number | null;
  outcome: string;
  n_overloads: number | null;
  max_loading_percent: number | null;
  cost: number | null;
  cost_increase: number | null;
  severity: number | null;
}
export interface N1Report {
  mode: string;
  base_cost: number | null;
  time_s: number | null;
  items: Contingency[];
}
export async function runContingencies(r: OpfRequest, signal?: AbortSignal, onProgress?: (p: JobProgress) => void): Promise<N1Report> {
  const j0 = await runMaybeJob("/api/simulation/contingencies", opfBody(r), signal, onProgress);
  const j = isObj(j0) && isObj(j0.result) ? j0.result : j0;
  return {
    mode: pickStr(j, "mode") ?? "",
    base_cost: pickNum(j, "base_cost"),
    time_s: pickNum(j, "time_s"),
    items: pickArr(j, "contingencies", "items").map((c) => ({
      branch: pickNum(c, "branch") ?? 0,
      fbus: pickNum(c, "fbus"),
      tbus: pickNum(c, "tbus"),
      outcome: pickStr(c, "outcome", "status") ?? "?",
      n_overloads: pickNum(c, "n_overloads"),
      max_loading_percent: pickNum(c, "max_loading_percent"),
      cost: pickNum(c, "cost"),
      cost_increase: pickNum(c, "cost_increase"),
      severity: pickNum(c, "severity"),
    })),
  };
}

export interface ScheduleHour {
  t: number | null;
  hour: number;
  load_mw: number | null;
  forecast_mw: number | null;
  cost: number | null;
  lmp_min: number | null;
  lmp_max: number | null;
  congested: number | null; // number of binding branch limits
  converged: boolean;
}
export interface Schedule {
  hours: ScheduleHour[];
  total_cost: number | null;
  failed_hours: number | null;
  region: string | null;
  start: number | null;
  raw: Obj;
}
export async function runSchedule(
  r: { case: string; mode: "ac" | "dc"; region: string; start?: string; hours?: number; outages: number[] },
  signal?: AbortSignal,
  onProgress?: (p: JobProgress) => void,
): Promise<Schedule> {
  const body: Obj = { case: r.case, mode: r.mode, region: r.region, hours: r.hours ?? 24 };
  if (r.start) body.start = r.start;
  if (r.outages.length) body.outages = { branches: r.outages };
  const j0 = await runMaybeJob("/api/simulation/schedule", body, signal, onProgress);
  const j = isObj(j0) && isObj(j0.result) ? j0.result : j0;
  const hours = pickArr(j, "hours", "schedule", "steps").map((h, i) => {
    const lmps = pickArr(h, "lmp", "lmps");
    const nums = lmps.filter((x): x is number => typeof x === "number");
    const binding = pickArr(h, "binding");
    return {
      t: pickTime(h, "ts", "timestamp", "time"),
      hour: pickNum(h, "hour", "index") ?? i,
      load_mw: pickNum(h, "load_mw", "totals.load_mw", "demand_mw"),
      forecast_mw: pickNum(h, "forecast_mw"),
      cost: pickNum(h, "cost", "objective"),
      lmp_min: pickNum(h, "lmp_min", "lmp.min") ?? (nums.length ? Math.min(...nums) : null),
      lmp_max: pickNum(h, "lmp_max", "lmp.max") ?? (nums.length ? Math.max(...nums) : null),
      congested:
        (Array.isArray(dig(h, "congested_branches")) ? (dig(h, "congested_branches") as unknown[]).length : null) ??
        pickNum(h, "congested_branches", "n_congested", "congestion", "n_binding_branches") ??
        (binding.length ? binding.filter((b) => /branch|flow|rate/.test(pickStr(b, "type") ?? "")).length : null),
      converged: dig(h, "converged") !== false,
    };
  });
  return {
    hours,
    total_cost: pickNum(j, "total_cost", "cost", "objective"),
    failed_hours: pickNum(j, "failed_hours"),
    region: pickStr(j, "region"),
    start: pickTime(j, "start"),
    raw: isObj(j) ? j : {},
  };
}

/** Where a simulation job is: its state, seconds since it started, and the service's own
 *  progress (a fraction 0..1 and a message) when the job document has one. */
export interface JobProgress {
  state: string;
  seconds: number;
  fraction: number | null;
  message: string | null;
}

/** POST that may answer 200 with the result, or 202 + Location of a job to poll. */
async function runMaybeJob(path: string, body: Obj, signal?: AbortSignal, onProgress?: (p: JobProgress) => void): Promise<unknown> {
  const res = await send("POST", path, body, signal);
  if (res.status !== 202) return res.body;
  let loc = res.headers.get("Location") ?? pickStr(res.body, "location", "href");
  const id = pickStr(res.body, "id", "job_id");
  if (!loc && id) loc = `${path}/jobs/${id}`;
  if (!loc) return res.body;
  // Service paths (/v1/...) map to the gateway's /api/<svc>/...
  if (loc.startsWith("/v1/")) loc = `/api/${path.split("/")[2]}/${loc.slice(4)}`;
  const deadline = Date.now() + 10 * 60 * 1000;
  let delay = 300;
  while (Date.now() < deadline) {
    await sleep(delay, signal);
    delay = Math.min(delay * 1.5, 2000);
    const j = await get<Obj>(loc, signal);
    const st = pickStr(j, "status", "state") ?? "";
    if (onProgress) {
      // progress: {unit, done, total?, percent?} (services/simulation/README.md, "Jobs")
      const started = pickTime(j, "started_at") ?? pickTime(j, "created_at");
      const pct = pickNum(j, "progress.percent");
      const done = pickNum(j, "progress.done"), total = pickNum(j, "progress.total");
      const unit = pickStr(j, "progress.unit") ?? "";
      onProgress({
        state: st,
        seconds: started !== null ? Math.max(0, Date.now() / 1000 - started) : 0,
        fraction: pct !== null ? pct / 100 : null,
        message: done !== null ? `${fmtCount(done)}${total !== null ? ` of ${fmtCount(total)}` : ""} ${unit}`.trim() : null,
      });
    }
    if (/^(done|succeeded|success|finished|complete|completed)$/i.test(st)) {
      // Results with long arrays are paged: read them whole.
      const whole = isObj(j.result) && dig(j.result, "page.next_offset") != null ? await getAllPages(loc, (d) => d.result, signal) : j;
      return whole.result ?? whole;
    }
    if (/^(failed|error|cancelled|canceled)$/i.test(st))
      throw new ApiError(422, pickStr(j, "error.code") ?? "job_failed", pickStr(j, "error.message", "error") ?? "the job failed");
    if (!st && (j.result || j.bus || j.hours)) return j.result ?? j;
  }
  throw new ApiError(504, "job_timeout", "the job did not finish in 10 minutes");
}

const fmtCount = (n: number) => n.toLocaleString("en-US");

/** A paged GET read whole: `?offset=&limit=` pages, the arrays of each page (where `at` finds
 *  them: the document or its result) appended, until `page.next_offset` is null. */
async function getAllPages(path: string, at: (d: Obj) => unknown, signal?: AbortSignal): Promise<Obj> {
  const LIMIT = 100000; // the simulation service's largest page
  const sep = path.includes("?") ? "&" : "?";
  const first = await get<Obj>(`${path}${sep}offset=0&limit=${LIMIT}`, signal);
  let next = dig(at(first), "page.next_offset");
  while (typeof next === "number") {
    const page = await get<Obj>(`${path}${sep}offset=${next}&limit=${LIMIT}`, signal);
    const into = at(first) as Obj, from = at(page) as Obj;
    for (const [k, v] of Object.entries(from)) if (Array.isArray(v) && Array.isArray(into[k])) (into[k] as unknown[]).push(...v);
    next = dig(from, "page.next_offset");
  }
  return first;
}

export interface CaseNetwork {
  case: string;
  buses: { id: number; type: string; in_service: boolean; pd_mw: number | null }[];
  branches: { row: number; fbus: number; tbus: number; in_service: boolean; rate_a_mva: number | null }[];
}
/** GET /v1/cases/{name}/network: a shipped case's buses and branches as written (no solve, no
 *  key), read whole across its pages. */
export async function caseNetwork(name: string, signal?: AbortSignal): Promise<CaseNetwork> {
  const j = await getAllPages(`/api/simulation/cases/${encodeURIComponent(name)}/network`, (d) => d, signal);
  return {
    case: pickStr(j, "case") ?? name,
    buses: pickArr(j, "buses").map((b) => ({
      id: pickNum(b, "id") ?? 0,
      type: pickStr(b, "type") ?? "pq",
      in_service: pickStr(b, "type") !== "isolated",
      pd_mw: pickNum(b, "pd_mw"),
    })),
    branches: pickArr(j, "branches").map((b, i) => ({
      row: pickNum(b, "row") ?? i,
      fbus: pickNum(b, "fbus") ?? 0,
      tbus: pickNum(b, "tbus") ?? 0,
      in_service: dig(b, "in_service") !== false,
      rate_a_mva: pickNum(b, "rate_a_mva"),
    })),
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      reject(new DOMException("aborted", "AbortError"));
    });
  });
}

// ---------------------------------------------------------------- compliance

export interface Citation {
  id: string;
  document: string;
  document_name: string | null;
  article: string;
  paragraph: string | null;
  point: string | null;
  ref: string | null;
  title: string | null;
  text: string;
  score: number | null;
}
export interface Answer {
  answer: string | null;
  citations: Citation[];
  confidence: number | null;
  refused: boolean;
  reason: string | null;
  reason_message: string | null;
  notes: string[];
}
export async function ask(question: string, signal?: AbortSignal): Promise<Answer> {
  const j = await post<Obj>(`/api/compliance/ask`, { question }, signal);
  return {
    answer: pickStr(j, "answer"),
    citations: pickArr(j, "citations").map((c, i) => ({
      id: pickStr(c, "id") ?? `P${i + 1}`,
      document: pickStr(c, "document", "celex") ?? "?",
      document_name: pickStr(c, "document_name", "short_name"),
      article: pickStr(c, "article") ?? "?",
      paragraph: pickStr(c, "paragraph"),
      point: pickStr(c, "point"),
      ref: pickStr(c, "ref"),
      title: pickStr(c, "title"),
      text: pickStr(c, "text") ?? "",
      score: pickNum(c, "score"),
    })),
    confidence: pickNum(j, "confidence"),
    refused: j?.refused === true,
    reason: pickStr(j, "reason"),
    reason_message: pickStr(j, "reason_message"),
    notes: pickArr(j, "notes").filter((x): x is string => typeof x === "string"),
  };
}

export interface Paragraph {
  number: string;
  text: string;
}
export interface Article {
  document: string;
  document_name: string | null;
  kind: string;
  number: string;
  title: string | null;
  chapter: string | null;
  paragraphs: Paragraph[];
}
export async function article(doc: string, n: string, signal?: AbortSignal): Promise<Article> {
  const j = await get<Obj>(`/api/compliance/documents/${encodeURIComponent(doc)}/articles/${encodeURIComponent(n)}`, signal);
  return {
    document: pickStr(j, "document", "celex") ?? doc,
    document_name: pickStr(j, "document_name"),
    kind: pickStr(j, "kind") ?? "article",
    number: pickStr(j, "number") ?? n,
    title: pickStr(j, "title"),
    chapter: pickStr(j, "chapter"),
    paragraphs: pickArr(j, "paragraphs").map((p) => ({ number: pickStr(p, "number") ?? "", text: pickStr(p, "text") ?? "" })),
  };
}

export interface DocumentInfo {
  id: string;
  name: string | null;
  short_name: string | null;
  title: string | null;
  articles: number | null;
}
export async function documents(signal?: AbortSignal): Promise<DocumentInfo[]> {
  const j = await get(`/api/compliance/documents`, signal);
  return pickArr(j, "documents").map((d) => ({
    id: pickStr(d, "id", "celex") ?? "?",
    name: pickStr(d, "name"),
    short_name: pickStr(d, "short_name"),
    title: pickStr(d, "title"),
    articles: pickNum(d, "articles"),
  }));
}
