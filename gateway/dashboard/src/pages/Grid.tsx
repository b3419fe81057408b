// Grid: optimal power flow on a network case with a chosen load (as in the case, scaled, or a
// region's forecast hour) and branch outages; the network coloured by the result; the dispatch,
// the cost and the binding constraints; N-1 contingencies; a 24-hour schedule over a forecast day.
import { useMemo, useState } from "react";
import {
  cases,
  forecast,
  runContingencies,
  runOpf,
  runSchedule,
  type LoadSource,
  type N1Report,
  type OpfRequest,
  type OpfResult,
  type Schedule,
} from "../api";
import { useApi } from "../hooks";
import { useWithKey } from "../components/ApiKey";
import { NetworkGraph, type BusColouring } from "../components/NetworkGraph";
import { Panel, StatCard } from "../components/Panel";
import { Async, ErrorState, Loading } from "../components/State";
import { TimeChart } from "../components/TimeChart";
import { fmtMW, fmtNum, fmtPct, fmtTime } from "../format";

const isoHour = (t: number) => new Date(t * 1000).toISOString().slice(0, 19) + "Z";
import { OKABE, loadingColor } from "../colors";

const REGIONS = ["PJM", "CISO", "ERCO", "ISNE", "MISO", "NYIS", "SWPP", "NYC"];

type Run<T> = { state: "idle" } | { state: "busy" } | { state: "done"; data: T } | { state: "error"; error: unknown };

export function GridPage() {
  const cs = useApi(cases, []);
  const withKey = useWithKey();
  const [caseName, setCaseName] = useState<string | null>(null);
  const [mode, setMode] = useState<"ac" | "dc">("ac");
  const [src, setSrc] = useState<"case" | "scaled" | "forecast">("case");
  const [scale, setScale] = useState(100);
  const [region, setRegion] = useState("PJM");
  const [at, setAt] = useState<string | null>(null);
  const [outages, setOutages] = useState<Set<number>>(new Set());
  const [colouring, setColouring] = useState<BusColouring>("voltage");
  const [opf, setOpf] = useState<Run<OpfResult>>({ state: "idle" });
  const [n1, setN1] = useState<Run<N1Report>>({ state: "idle" });
  const [sched, setSched] = useState<Run<Schedule>>({ state: "idle" });

  const list = cs.data ?? [];
  const current = caseName ?? (list.find((c) => /case30_ieee|case14/.test(c.name))?.name ?? list[0]?.name ?? null);
  // The forecast hours a study can use: the region's next 48 h as the forecast service gives them.
  const fcHours = useApi((s) => forecast(region, 48, 0, s), [region], { enabled: src === "forecast" });
  const hours = fcHours.data?.points ?? [];
  const atValue = at && hours.some((p) => isoHour(p.t) === at) ? at : hours.length ? isoHour(hours[Math.min(17, hours.length - 1)].t) : null;
  const load: LoadSource =
    src === "scaled" ? { source: "scaled", scale: scale / 100 } : src === "forecast" ? { source: "forecast", region, at: atValue ?? "" } : { source: "case" };
  const canRun = !!current && (src !== "forecast" || !!atValue);
  const request = (): OpfRequest => ({ case: current!, mode, load, outages: [...outages].sort((a, b) => a - b) });
  // The last result's branch list is the case's branch list (outaged ones included).
  const lastResult = opf.state === "done" ? opf.data : null;

  const run = async <T,>(set: (r: Run<T>) => void, fn: () => Promise<T>, purpose: string) => {
    set({ state: "busy" });
    try {
      set({ state: "done", data: await withKey(fn, purpose) });
    } catch (e) {
      set({ state: "error", error: e });
    }
  };
  const toggle = (i: number) =>
    setOutages((o) => {
      const n = new Set(o);
      if (n.has(i)) n.delete(i);
      else n.add(i);
      return n;
    });

  return (
    <div className="page">
      <div className="page-head">
        <h1>Grid</h1>
        <p className="muted">Optimal power flow (Ipopt) on MATPOWER cases, with the load you choose and branches out of service.</p>
      </div>
      <Panel title="Study">
        <Async state={cs} what="The network cases" isEmpty={(d) => d.length === 0} empty="The simulation service has no cases.">
          {() => (
            <form
              className="study-form"
              onSubmit={(e) => {
                e.preventDefault();
                void run(setOpf, () => runOpf(request()), "run an OPF");
              }}
            >
              <label>
                Case{" "}
                <select
                  value={current ?? ""}
                  onChange={(e) => {
                    setCaseName(e.target.value);
                    setOutages(new Set());
                    setOpf({ state: "idle" });
                    setN1({ state: "idle" });
                  }}
                  data-testid="case-select"
                >
                  {list.map((c) => (
                    <option key={c.name} value={c.name}>
                      {c.name}
                      {c.buses ? ` (${c.buses} buses)` : ""}
                    </option>
                  ))}
                </select>
              </label>
              <fieldset className="seg">
                <legend>Model</legend>
                {(["ac", "dc"] as const).map((m) => (
                  <label key={m}>
                    <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} /> {m.toUpperCase()}
                  </label>
                ))}
              </fieldset>
              <fieldset className="seg">
                <legend>Load</legend>
                <label>
                  <input type="radio" name="src" checked={src === "case"} onChange={() => setSrc("case")} /> as in the case
                </label>
                <label>
                  <input type="radio" name="src" checked={src === "scaled"} onChange={() => setSrc("scaled")} /> scaled
                </label>
                <label>
                  <input type="radio" name="src" checked={src === "forecast"} onChange={() => setSrc("forecast")} /> forecast
                </label>
              </fieldset>
              {src === "scaled" && (
                <label>
                  Scale{" "}
                  <input type="number" min={10} max={200} step={5} value={scale} onChange={(e) => setScale(Number(e.target.value))} className="num-input" /> %
                </label>
              )}
              {src === "forecast" && (
                <>
                  <label>
                    Region{" "}
                    <select value={region} onChange={(e) => setRegion(e.target.value)}>
                      {REGIONS.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </label>
                  <label>
                    Hour{" "}
                    <select value={atValue ?? ""} onChange={(e) => setAt(e.target.value)} disabled={!hours.length} data-testid="forecast-hour">
                      {hours.map((p) => (
                        <option key={p.t} value={isoHour(p.t)}>
                          {fmtTime(p.t)} — {fmtMW(p.mean)}
                        </option>
                      ))}
                    </select>
                  </label>
                  {fcHours.error ? <ErrorState error={fcHours.error} what={`The ${region} forecast`} /> : null}
                </>
              )}
              <div className="form-actions">
                <button type="submit" className="btn primary" disabled={!canRun || opf.state === "busy"} data-testid="run-opf">
                  {opf.state === "busy" ? "Solving…" : "Run OPF"}
                </button>
                <button type="button" className="btn" disabled={!canRun || n1.state === "busy"} onClick={() => void run(setN1, () => runContingencies(request()), "run N-1")} data-testid="run-n1">
                  {n1.state === "busy" ? "Running N-1…" : "Run N-1"}
                </button>
                <button
                  type="button"
                  className="btn"
                  disabled={!current || sched.state === "busy"}
                  onClick={() =>
                    void run(
                      setSched,
                      async () => {
                        // The schedule starts where the region's forecast starts.
                        const f = await forecast(region, 24, 0);
                        if (!f.points.length) throw new Error(`the ${region} forecast has no hours`);
                        return runSchedule({ case: current!, mode, region, start: isoHour(f.points[0].t), hours: 24, outages: [...outages] });
                      },
                      "run a day schedule",
                    )
                  }
                  data-testid="run-schedule"
                >
                  {sched.state === "busy" ? "Scheduling…" : `24 h schedule (${region})`}
                </button>
              </div>
              {outages.size > 0 && (
                <div className="outage-summary">
                  Out of service: {[...outages].sort((a, b) => a - b).map((i) => `#${i + 1}`).join(", ")}{" "}
                  <button type="button" className="linklike" onClick={() => setOutages(new Set())}>
                    clear
                  </button>
                </div>
              )}
            </form>
          )}
        </Async>
      </Panel>

      {opf.state === "busy" && <Loading what="the OPF solution" />}
      {opf.state === "error" && <ErrorState error={opf.error} what="The OPF" />}
      {lastResult && (
        <OpfView r={lastResult} colouring={colouring} setColouring={setColouring} outages={outages} toggle={toggle} />
      )}

      {n1.state !== "idle" && (
        <Panel title="N-1 contingencies" id="n1">
          {n1.state === "busy" ? <Loading what="contingencies" /> : n1.state === "error" ? <ErrorState error={n1.error} what="The N-1 analysis" /> : <N1View r={n1.data} />}
        </Panel>
      )}
      {sched.state !== "idle" && (
        <Panel title={`24-hour schedule (${region} forecast)`} id="schedule">
          {sched.state === "busy" ? <Loading what="the schedule" /> : sched.state === "error" ? <ErrorState error={sched.error} what="The schedule" /> : <ScheduleView s={sched.data} />}
        </Panel>
      )}
    </div>
  );
}

function OpfView({ r, colouring, setColouring, outages, toggle }: { r: OpfResult; colouring: BusColouring; setColouring: (c: BusColouring) => void; outages: Set<number>; toggle: (i: number) => void }) {
  const maxLoad = Math.max(0, ...r.branch.map((b) => b.loading_percent ?? 0));
  const sortedBranches = useMemo(() => [...r.branch].sort((a, b) => (b.loading_percent ?? -1) - (a.loading_percent ?? -1)), [r.branch]);
  const hasLmp = r.bus.some((b) => b.lmp !== null);
  return (
    <>
      <div className="cards" data-testid="opf-summary">
        <StatCard label="Objective (cost)" value={r.objective !== null ? `$${fmtNum(r.objective, 2)}` : "–"} testId="opf-objective" tone={r.converged ? "ok" : "bad"} sub={`per hour · ${r.kind.toUpperCase()} · ${(r.status || (r.converged ? "converged" : "not converged")).replace(/_/g, " ")}`} />
        <StatCard
          label="Load"
          value={fmtMW(r.totals.load_mw)}
          sub={
            r.load_source.kind === "forecast"
              ? `${r.load_source.region} forecast ${fmtTime(r.load_source.at)}, ×${fmtNum(r.load_source.scale, 3)}`
              : r.load_source.scale !== null && r.load_source.scale !== 1
                ? `case load ×${fmtNum(r.load_source.scale, 2)}`
                : "as in the case"
          }
        />
        <StatCard label="Generation" value={fmtMW(r.totals.gen_mw)} sub={r.totals.losses_mw !== null ? `losses ${fmtNum(r.totals.losses_mw, 1)} MW` : undefined} />
        <StatCard label="Most loaded branch" value={fmtPct(maxLoad, 1)} tone={maxLoad >= 100 ? "bad" : maxLoad >= 80 ? "warn" : undefined} />
        <StatCard label="Binding constraints" value={fmtNum(r.binding.length)} />
        <StatCard label="Solve time" value={r.time_s !== null ? `${fmtNum(r.time_s * 1000, 0)} ms` : "–"} sub={r.iterations !== null ? `${r.iterations} iterations` : undefined} />
      </div>
      <div className="grid-2 wide-left">
        <Panel
          title="Network"
          actions={
            <fieldset className="seg small">
              <legend className="sr-only">Colour buses by</legend>
              <label>
                <input type="radio" name="colouring" checked={colouring === "voltage"} onChange={() => setColouring("voltage")} /> voltage
              </label>
              <label>
                <input type="radio" name="colouring" checked={colouring === "lmp"} onChange={() => setColouring("lmp")} disabled={!hasLmp} /> LMP
              </label>
            </fieldset>
          }
        >
          <NetworkGraph bus={r.bus} branch={r.branch} gen={r.gen} colouring={colouring} outages={outages} onToggleBranch={toggle} />
          <p className="muted small">Click a branch, or tick it in the list, to take it out of service; then run again.</p>
        </Panel>
        <Panel title="Branches (by loading)">
          <div className="table-wrap tall">
            <table className="table compact" data-testid="branch-table">
              <thead>
                <tr>
                  <th scope="col">Out</th>
                  <th scope="col">#</th>
                  <th scope="col">From → to</th>
                  <th scope="col" className="num">MW</th>
                  <th scope="col" className="num">Loading</th>
                </tr>
              </thead>
              <tbody>
                {sortedBranches.map((b) => (
                  <tr key={b.index}>
                    <td>
                      <input type="checkbox" checked={outages.has(b.index)} onChange={() => toggle(b.index)} aria-label={`Take branch ${b.index + 1} (${b.fbus}–${b.tbus}) out of service`} />
                    </td>
                    <td>{b.index + 1}</td>
                    <td>
                      {b.fbus} → {b.tbus}
                    </td>
                    <td className="num">{fmtNum(b.pf_mw, 1)}</td>
                    <td className="num">
                      <span className="dot" style={{ background: loadingColor(b.in_service ? b.loading_percent : null) }} aria-hidden="true" /> {b.in_service ? fmtPct(b.loading_percent, 1) : "out"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Panel>
      </div>
      <div className="grid-2">
        <Panel title="Dispatch">
          <div className="table-wrap">
            <table className="table compact" data-testid="dispatch-table">
              <thead>
                <tr>
                  <th scope="col">Gen</th>
                  <th scope="col">Bus</th>
                  <th scope="col" className="num">P (MW)</th>
                  <th scope="col" className="num">Q (MVAr)</th>
                  <th scope="col">At limit</th>
                </tr>
              </thead>
              <tbody>
                {r.gen.map((g) => (
                  <tr key={g.index}>
                    <td>{g.index + 1}</td>
                    <td>{g.bus}</td>
                    <td className="num">{g.in_service ? fmtNum(g.p_mw, 1) : "off"}</td>
                    <td className="num">{fmtNum(g.q_mvar, 1)}</td>
                    <td>{g.at_pmax ? <span className="pill warn">Pmax</span> : g.at_pmin ? <span className="pill">Pmin</span> : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Panel>
        <Panel title="Binding constraints">
          {r.binding.length === 0 ? (
            <p className="muted">No constraint is binding.</p>
          ) : (
            <div className="table-wrap">
              <table className="table compact" data-testid="binding-table">
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">Row</th>
                    <th scope="col" className="num">Value</th>
                    <th scope="col" className="num">Limit</th>
                    <th scope="col" className="num">Shadow price</th>
                  </tr>
                </thead>
                <tbody>
                  {r.binding.map((b, i) => (
                    <tr key={i}>
                      <td>{b.type}</td>
                      <td>{b.index !== null ? b.index + 1 : "–"}</td>
                      <td className="num">{fmtNum(b.value, 3)}</td>
                      <td className="num">{fmtNum(b.limit, 3)}</td>
                      <td className="num">{fmtNum(b.mu, 3)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Panel>
      </div>
    </>
  );
}

function N1View({ r }: { r: N1Report }) {
  const items = [...r.items].sort((a, b) => (b.severity ?? 0) - (a.severity ?? 0));
  const bad = items.filter((i) => (i.n_overloads ?? 0) > 0 || !/^ok|secure/i.test(i.outcome)).length;
  return (
    <div data-testid="n1-result">
      <p>
        {items.length} outages studied, {bad} with violations or failures; base cost {r.base_cost !== null ? `$${fmtNum(r.base_cost, 2)}/h` : "–"}
        {r.time_s !== null ? `, in ${fmtNum(r.time_s, 2)} s` : ""}.
      </p>
      <div className="table-wrap tall">
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">Branch out</th>
              <th scope="col">Outcome</th>
              <th scope="col" className="num">Overloads</th>
              <th scope="col" className="num">Max loading</th>
              <th scope="col" className="num">Cost increase</th>
              <th scope="col" className="num">Severity</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.branch}>
                <td>
                  #{c.branch + 1} ({c.fbus}–{c.tbus})
                </td>
                <td>
                  <span className={`pill ${/^ok|secure/i.test(c.outcome) ? "ok" : "bad"}`}>{c.outcome.replace(/_/g, " ")}</span>
                </td>
                <td className="num">{fmtNum(c.n_overloads)}</td>
                <td className="num">{/^ok|secure|overload/i.test(c.outcome) ? fmtPct(c.max_loading_percent, 1) : "–"}</td>
                <td className="num">{c.cost_increase !== null && /^ok|secure|overload/i.test(c.outcome) ? `$${fmtNum(c.cost_increase, 2)}` : "–"}</td>
                <td className="num">{fmtNum(c.severity, 2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function ScheduleView({ s }: { s: Schedule }) {
  const d = useMemo(() => {
    const x = s.hours.map((h, i) => h.t ?? h.hour ?? i);
    const numeric = s.hours.some((h) => h.t === null);
    return {
      x,
      numeric,
      cost: [{ label: "cost ($/h)", values: s.hours.map((h) => h.cost), color: OKABE.orange, width: 2, points: true }],
      load: [{ label: "load (MW)", values: s.hours.map((h) => h.load_mw), color: OKABE.sky, width: 2, scale: "y2" }],
      lmp: [
        { label: "LMP max", values: s.hours.map((h) => h.lmp_max), color: OKABE.vermillion, width: 2 },
        { label: "LMP min", values: s.hours.map((h) => h.lmp_min), color: OKABE.sky, width: 2 },
      ],
      cong: [{ label: "binding branch limits", values: s.hours.map((h) => h.congested), color: OKABE.purple, bars: true }],
    };
  }, [s]);
  if (!s.hours.length) return <p className="muted">The schedule has no hours.</p>;
  const failed = s.hours.filter((h) => !h.converged).length;
  return (
    <div data-testid="schedule-result">
      <div className="cards compact">
        <StatCard label="Total cost" value={s.total_cost !== null ? `$${fmtNum(s.total_cost, 0)}` : `$${fmtNum(s.hours.reduce((a, h) => a + (h.cost ?? 0), 0), 0)}`} sub={s.start ? `from ${fmtTime(s.start)}` : undefined} testId="schedule-total" />
        <StatCard label="Hours" value={String(s.hours.length)} sub={failed ? `${failed} did not converge` : "all converged"} tone={failed ? "bad" : "ok"} />
        <StatCard label="Peak load" value={fmtMW(Math.max(...s.hours.map((h) => h.load_mw ?? -Infinity)))} />
        <StatCard label="Peak LMP" value={`$${fmtNum(Math.max(...s.hours.map((h) => h.lmp_max ?? -Infinity)), 2)}`} />
      </div>
      <div className="grid-3">
        <TimeChart x={d.x} numericX={d.numeric} xLabel={d.numeric ? "hour" : undefined} series={[...d.cost, ...d.load]} yLabel="$/h" y2Label="MW" height={220} label="Cost per hour and load over the day" testId="schedule-cost" />
        <TimeChart
          x={d.x}
          numericX={d.numeric}
          xLabel={d.numeric ? "hour" : undefined}
          series={d.lmp}
          bands={[{ upper: 0, lower: 1, fill: "rgba(213,94,0,0.15)" }]}
          yLabel="$/MWh"
          height={220}
          label="LMP range (lowest to highest bus price) per hour"
          testId="schedule-lmp"
        />
        <TimeChart x={d.x} numericX={d.numeric} xLabel={d.numeric ? "hour" : undefined} series={d.cong} yLabel="branches" height={220} label="Congestion: binding branch limits per hour" testId="schedule-congestion" />
      </div>
    </div>
  );
}
