import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, ask, caseNetwork, forecast, runPowerflow, ingestionSummary, model, readJob, readOpf, retrainSchedule, rollbackTarget, runOpf, setApiKey, staleness, startTraining } from "./api";
import { fmtMW } from "./format";
import { mockFetch } from "./test/fetchMock";

afterEach(() => {
  vi.unstubAllGlobals();
  setApiKey(null);
});

describe("api client", () => {
  it("turns the error shape into an ApiError that knows a missing route", async () => {
    mockFetch({});
    const e = await ingestionSummary().catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(404);
    expect(e.missing).toBe(true);
  });

  it("reports a gateway 502 as unavailable", async () => {
    mockFetch({ "GET /api/ingestion/summary": [502, { error: { code: "bad_gateway", message: "down", details: [] } }] });
    const e = await ingestionSummary().catch((x) => x);
    expect(e.unavailable).toBe(true);
    expect(e.code).toBe("bad_gateway");
  });

  it("sends the API key on mutating calls only", async () => {
    setApiKey("k123");
    const calls = mockFetch({ "POST /api/compliance/ask": [200, { answer: "a", citations: [], refused: false }] });
    await ask("q");
    expect(calls[0].headers["X-API-Key"]).toBe("k123");
    expect(calls[0].body).toEqual({ question: "q" });
  });

  it("reads forecast points with intervals in either shape", async () => {
    mockFetch({
      "GET /api/forecast/forecast": [
        200,
        {
          region: "PJM",
          model: { name: "load:PJM", version: 3, trained_at: "2024-01-01T00:00:00Z" },
          history: [{ ts: "2018-07-01T23:00:00Z", demand_mw: 100 }],
          points: [
            { ts: "2018-07-02T00:00:00Z", mean: 110, lower_80: 100, upper_80: 120, lower_95: 95, upper_95: 125 },
            { ts: "2018-07-02T01:00:00Z", mean: 111, intervals: { "80": [101, 121] } },
          ],
        },
      ],
    });
    const f = await forecast("PJM", 24, 24);
    expect(f.version).toBe(3);
    expect(f.points).toHaveLength(2);
    expect(f.points[0]).toMatchObject({ mean: 110, iv: { 80: [100, 120], 95: [95, 125] } });
    expect(f.points[1].iv).toEqual({ 80: [101, 121] });
    expect(f.levels).toEqual([95, 80]);
    expect(f.history.v).toEqual([100]);
  });

  it("pairs quantiles into central intervals", async () => {
    mockFetch({
      "GET /api/forecast/forecast": [200, { points: [{ ts: "2018-07-02T00:00:00Z", mean: 10, quantiles: { "0.05": 7, "0.1": 8, "0.5": 10, "0.9": 12, "0.95": 13 } }] }],
    });
    const f = await forecast("X", 24, 0);
    expect(f.points[0].iv).toEqual({ 90: [7, 13], 80: [8, 12] });
    expect(f.levels).toEqual([90, 80]);
  });

  it("reads a model with aliases and history", async () => {
    mockFetch({
      "GET /api/trainer/models/load%3APJM": [
        200,
        {
          name: "load:PJM",
          aliases: { production: 2, staging: { version: 3 } },
          versions: [
            { version: 2, created_at: "2024-01-01T00:00:00Z", metrics: { model: { mae: 500, mape: 1.5 }, same_hour_last_week: { mape: 6 } } },
            { version: 3, metrics: { mae: 450, mape: 1.3 } },
          ],
          history: [{ alias: "production", version: 2, previous: 1, at: "2024-01-02T00:00:00Z" }],
        },
      ],
    });
    const m = await model("load:PJM");
    expect(m.region).toBe("PJM");
    expect(m.aliases).toEqual({ production: 2, staging: 3 });
    expect(m.versions.map((v) => v.version)).toEqual([3, 2]);
    expect(m.versions[1].aliases).toEqual(["production"]);
    expect(m.versions[1].metrics?.mape).toBe(1.5);
    expect(m.versions[1].baseline?.mape).toBe(6);
    expect(m.history[0]).toMatchObject({ alias: "production", version: 2, previous: 1 });
  });

  it("offers a rollback only to a previous version that exists", async () => {
    const reply = (history: unknown[], versions = [1, 2]) =>
      mockFetch({ "GET /api/trainer/models/load%3APJM": [200, { name: "load:PJM", aliases: { production: 2 }, versions: versions.map((version) => ({ version })), history }] });
    reply([{ alias: "production", to: 2, from: null, at: "2024-01-02T00:00:00Z" }]);
    expect(rollbackTarget(await model("load:PJM"), "production")).toBe(null); // created by its last change
    reply([
      { alias: "production", to: 1, from: null, at: "2024-01-01T00:00:00Z" },
      { alias: "production", to: 2, from: 1, at: "2024-01-01T00:00:00Z" }, // same second: the later one counts
    ]);
    expect(rollbackTarget(await model("load:PJM"), "production")).toBe(1);
    reply([{ alias: "production", to: 2, from: 1, at: "2024-01-02T00:00:00Z" }], [2]);
    expect(rollbackTarget(await model("load:PJM"), "production")).toBe(null); // v1 is gone
  });

  it("flags a model trained on data that ends long before the region's newest hour", async () => {
    const day = 86400;
    const end = Date.parse("2018-05-17T23:00:00Z") / 1000;
    mockFetch({
      "GET /api/trainer/models/load%3ANYIS": [
        200,
        {
          name: "load:NYIS",
          aliases: { production: 1 },
          versions: [{ version: 1, data_range: { from: 0, to: end }, metrics: { test_range: { to_epoch: end + 14 * day } } }],
        },
      ],
    });
    const m = await model("load:NYIS");
    expect(m.versions[0].data_end).toBe(end + 14 * day); // the backtest window counts as seen
    expect(staleness(m, end + 14 * day + 3 * day)?.stale).toBe(false);
    const st = staleness(m, end + 14 * day + 31 * day)!;
    expect(st.stale).toBe(true);
    expect(st.version).toBe(1);
    expect(Math.round(st.days)).toBe(31);
    expect(staleness(m, null)).toBe(null);
  });

  it("reads the forecast route's shape: p10/p90 as the 80 % band, inline history", async () => {
    const calls = mockFetch({
      "GET /api/forecast/forecast": [
        200,
        {
          region: "PJM",
          model: { name: "load:PJM", version: 1, alias: "production", created_at: "2026-11-22T05:47:05.877Z" },
          origin: "2018-07-02T00:00:00Z",
          peak_mw: 149170,
          levels: [0.1, 0.5, 0.9],
          points: [{ ts: "2018-07-02T00:00:00Z", point: 113306.8, p10: 110731.3, p50: 113641.3, p90: 118337.5, recursive: false }],
          history: [{ ts: "2018-07-01T22:00:00Z", demand_mw: 141100 }, { ts: "2018-07-01T23:00:00Z", demand_mw: 138749 }],
        },
      ],
    });
    const f = await forecast("PJM", 48, 48);
    expect(calls).toHaveLength(1); // no second request to /demand
    expect(calls[0].url).toContain("history=48");
    expect(f).toMatchObject({ version: 1, alias: "production", peak_mw: 149170 });
    expect(f.trained).toBe(Date.parse("2026-11-22T05:47:05.877Z") / 1000);
    expect(f.points[0]).toMatchObject({ mean: 113306.8, iv: { 80: [110731.3, 118337.5] } });
    expect(f.levels).toEqual([80]);
    expect(f.history.v).toEqual([141100, 138749]);
  });

  it("reads the retraining schedule: next run and the last scheduled result per region", async () => {
    mockFetch({
      "GET /api/trainer/schedule": [
        200,
        {
          check_seconds: 60,
          regions: [
            { region: "NYIS", enabled: false, every_hours: 0, after_days: 7, next_run: null, last_run: null, job: null, due: null, last_result: null },
            {
              region: "PJM",
              enabled: true,
              every_hours: 168,
              after_days: 7,
              next_run: 1767225600,
              last_run: 1766620800,
              job: null,
              due: null,
              last_result: { job: "J1", state: "succeeded", promoted: true, version: 5, finished_at: "2025-12-25T00:10:00.000Z", reason: "scheduled retrain: MAPE 3.10 → 2.90 on 28 days (…)" },
            },
          ],
        },
      ],
    });
    const rs = await retrainSchedule();
    expect(rs.map((r) => r.region)).toEqual(["NYIS", "PJM"]);
    expect(rs[0].enabled).toBe(false);
    expect(rs[0].last).toBeNull();
    expect(rs[1].next_run).toBe(1767225600);
    expect(rs[1].last?.promoted).toBe(true);
    expect(rs[1].last?.version).toBe(5);
    expect(rs[1].last?.at).toBe(Date.parse("2025-12-25T00:10:00Z") / 1000);
    expect(rs[1].last?.reason).toMatch(/^scheduled retrain: MAPE 3.10/);
  });

  it("places the trainer's calibration stage between search and refit", () => {
    const at = (stage: string) =>
      readJob({ id: "j", state: "running", regions: ["PJM"], progress: { regions: 1, regions_done: 0, region: "PJM", stage }, results: [], error: null })
        .progress ?? -1;
    expect(at("calibration")).toBeGreaterThan(at("search"));
    expect(at("calibration")).toBeLessThan(at("refit"));
  });

  it("reads a training job: progress by stage, the per-region result", () => {
    const running = readJob({
      id: "j1",
      state: "running",
      regions: ["PJM", "NYIS"],
      progress: { regions: 2, regions_done: 1, region: "NYIS", region_index: 2, stage: "search", candidate: 3, candidates: 6, round: 140 },
      results: [],
      error: null,
    });
    expect(running.status).toBe("running");
    expect(running.region).toBe("PJM, NYIS");
    expect(running.progress).toBeGreaterThan(0.5);
    expect(running.progress).toBeLessThan(0.75);
    expect(running.message).toBe("NYIS · search (candidate 3/6, round 140)");
    const done = readJob({
      id: "j2",
      state: "succeeded",
      regions: ["PJM"],
      progress: { regions: 1, regions_done: 1 },
      results: [
        {
          region: "PJM", state: "succeeded", model: "load:PJM", version: 2, alias: "staging", promoted: false, mape: 5.5,
          metrics: { model: { mae: 5586, mape: 5.5 } },
          champion_challenger: { reason: "MAPE 5.524 % does not beat production v1" },
        },
      ],
      error: null,
    });
    expect(done).toMatchObject({ status: "succeeded", progress: 1, version: 2 });
    expect(done.metrics?.mape).toBe(5.5);
    expect(done.results[0]).toMatchObject({ alias: "staging", promoted: false, reason: "MAPE 5.524 % does not beat production v1" });
    const failed = readJob({ id: "j3", state: "failed", error: { code: "regions_failed", message: "1 of 1 regions failed" } });
    expect(failed.error).toBe("1 of 1 regions failed");
  });

  it("starts a training job with the regions array the trainer expects", async () => {
    setApiKey("k");
    const calls = mockFetch({ "POST /api/trainer/jobs": [202, { id: "j9", state: "queued", regions: ["PJM"], progress: { regions: 1, regions_done: 0 } }] });
    const j = await startTraining(["PJM"], { promote: false });
    expect(calls[0].body).toEqual({ regions: ["PJM"], promote: false });
    expect(j).toMatchObject({ id: "j9", status: "queued", progress: 0 });
  });

  it("formats small fleets in kW and large regions in GW", () => {
    expect(fmtMW(0.114355)).toBe("114.4 kW");
    expect(fmtMW(12.34)).toBe("12.3 MW");
    expect(fmtMW(9876)).toBe("9,876 MW");
    expect(fmtMW(113306.8)).toBe("113.3 GW");
    expect(fmtMW(0)).toBe("0 MW");
  });

  it("reads the power-flow result (gf_pf_result_to_json)", () => {
    const r = readOpf({
      kind: "acopf",
      converged: true,
      status: "solved",
      objective: 5296.69,
      totals: { load_mw: 315, gen_mw: 320, losses_mw: 5 },
      bus: [{ id: 1, vm_pu: 1.0, lmp: 24.1 }],
      gen: [{ bus: 1, p_mw: 10, at_pmax: true }],
      branch: [{ fbus: 1, tbus: 2, loading_percent: 81.2, in_service: true }],
      binding: [{ type: "branch_sf", index: 0, value: 1, limit: 1, mu: 3 }],
    });
    expect(r.objective).toBe(5296.69);
    expect(r.branch[0]).toMatchObject({ index: 0, fbus: 1, tbus: 2, loading_percent: 81.2 });
    expect(r.gen[0].at_pmax).toBe(true);
    expect(r.binding[0].type).toBe("branch_sf");
  });

  it("reads a paged job result whole and reports the job's progress", async () => {
    const bus = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: from + i + 1, vm_pu: 1 }));
    const seen: string[] = [];
    const progress: (string | null)[] = [];
    mockFetch({
      "POST /api/simulation/powerflow": [202, { id: "j2", state: "queued" }, { Location: "/api/simulation/jobs/j2" }],
      "GET /api/simulation/jobs/j2": (_b, url) => {
        seen.push(url.split("?")[1] ?? "");
        if (seen.length === 1) return [200, { state: "running", progress: { unit: "iterations", done: 12 } }];
        const off = Number(new URL(url, "http://x").searchParams.get("offset") ?? 0);
        const page = off === 0 ? { offset: 0, limit: 100000, total: { bus: 7 }, next_offset: 4 } : { offset: 4, limit: 100000, total: { bus: 7 }, next_offset: null };
        // (the service pages at `limit`; two pages here stand for a result longer than one)
        return [200, { state: "done", result: { kind: "pf", bus: off === 0 ? bus(0, 4) : bus(4, 3), branch: [], gen: [], page } }];
      },
    });
    vi.useFakeTimers({ shouldAdvanceTime: true, advanceTimeDelta: 50 });
    const r = await runPowerflow("big", undefined, (p) => progress.push(p.message));
    vi.useRealTimers();
    expect(r.bus.map((b) => b.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.slice(-2)).toEqual(["offset=0&limit=100000", "offset=4&limit=100000"]);
    expect(progress[0]).toBe("12 iterations");
  });

  it("reads a case's network across its pages", async () => {
    mockFetch({
      "GET /api/simulation/cases/case9/network": (_b, url) =>
        new URL(url, "http://x").searchParams.get("offset") === "0"
          ? [200, { case: "case9", buses: [{ id: 1, type: "ref", pd_mw: 0 }, { id: 2, type: "pq", pd_mw: 90 }], branches: [{ row: 0, fbus: 1, tbus: 2, in_service: true }], page: { next_offset: 2 } }]
          : [200, { case: "case9", buses: [{ id: 3, type: "isolated", pd_mw: 0 }], branches: [{ row: 2, fbus: 2, tbus: 3, in_service: false }], page: { next_offset: null } }],
    });
    const n = await caseNetwork("case9");
    expect(n.buses.map((b) => [b.id, b.in_service])).toEqual([[1, true], [2, true], [3, false]]);
    expect(n.branches.map((b) => [b.row, b.in_service])).toEqual([[0, true], [2, false]]);
  });

  it("polls a 202 job until it is done", async () => {
    let polls = 0;
    mockFetch({
      "POST /api/simulation/opf": [202, { id: "j1", status: "queued" }, { Location: "/v1/jobs/j1" }],
      "GET /api/simulation/jobs/j1": () => (++polls < 2 ? [200, { status: "running" }] : [200, { status: "done", result: { objective: 42, bus: [], branch: [], gen: [] } }]),
    });
    vi.useFakeTimers({ shouldAdvanceTime: true, advanceTimeDelta: 50 });
    const r = await runOpf({ case: "case9", mode: "ac", load: { source: "case" }, outages: [] });
    vi.useRealTimers();
    expect(r.objective).toBe(42);
    expect(polls).toBe(2);
  });
});
