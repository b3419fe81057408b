// Grid: a network case drawn as soon as it is chosen, with its base state (the AC power flow
// of the case as given, or the DC OPF where that does not converge); optimal power flow with a
// chosen load (as in the case, scaled, or a region's forecast hour) and branch outages picked
// on the graph or in the branch list; N-1 contingencies; a 24-hour schedule over any region
// whose model is in production. The network draws on a canvas (components/NetworkCanvas.tsx):
// 10,000-bus cases zoom, pan and find buses by number.
import { useEffect, useMemo, useState } from "react";
import {
  cases,
  forecast,
  getApiKey,
  models,
  runContingencies,
  runOpf,
  runSchedule,
  type BranchResult,
  type JobProgress,
  type LoadSource,
  type N1Report,
  type OpfRequest,
  type OpfResult,
  type Schedule,
} from "../api";
import { useApi } from "../hooks";
import { useWithKey } from "../components/ApiKey";
import { NetworkCanvas, type BusColouring } from "../components/NetworkCanvas";
import { Panel, StatCard } from "../components/Panel";
import { Async, ErrorState, Loading } from "../components/State";
import { TimeChart } from "../components/TimeChart";
import { fmtMW, fmtNum, fmtPct, fmtTime } from "../format";
import { alignToTopology, baseState, caseTopology, type BaseState } from "../network";
import { OKABE, loadingColor } from "../colors";

const isoHour = (t: number) => new Date(t * 1000).toISOString().slice(0, 19) + "Z";
const KEY_WAIT = "waiting for the API key";
const ROWS = 200; // rows of long tables drawn at once (a 10,000-bus case has 13,000 branches)

type Run<T> = { state: "idle" } | { state: "busy"; progress?: string } | { state: "done"; data: T } | { state: "error"; error: unknown };

const progressText = (what: string, p: JobProgress) =>
  `${what}: ${p.state || "running"}${p.fraction !== null ? ` ${Math.round(p.fraction * 100)} %` : ""}${p.message ? ` — ${p.message}` : ""}, ${Math.round(p.seconds)} s`;

/** Regions whose demand model is in production: the ones a forecast load or a schedule can use. */
async function modelRegions(signal: AbortSignal): Promise<string[]> {
  const ms = await models(signal);
  return ms
    .filter((m) => m.aliases.production !== undefined && m.region)
    .map((m) => m.region!)
    .sort();
}

export function GridPage() {
  const cs = useApi(cases, []);
  const regs = useApi(modelRegions, []);
  const withKey = useWithKey();
  const [caseName, setCaseName] = useState<string | null>(null);
  const [mode, setMode] = useState<"ac" | "dc">("ac");
  const [src, setSrc] = useState<"case" | "scaled" | "forecast">("case");
  const [scale, setScale] = useState(100);
  const [regionPick, setRegion] = useState<string | null>(null);
  const [at, setAt] = useState<string | null>(null);
  const [outages, setOutages] = useState<Set<number>>(new Set());
  const [colouring, setColouring] = useState<BusColouring>("voltage");
  const [selectedBus, setSelectedBus] = useState<number | null>(null);
  const [base, setBase] = useState<Run<BaseState>>({ state: "idle" });
  const [opf, setOpf] = useState<Run<OpfResult>>({ state: "idle" });
  const [n1, setN1] = useState<Run<N1Report>>({ state: "idle" });
  const [sched, setSched] = useState<Run<Schedule>>({ state: "idle" });
  const [baseTry, setBaseTry] = useState(0);

  const list = cs.data ?? [];
  const initial = typeof window !== "undefined" ? new URLSearchParams(window.location.search).get("case") : null;
  const current = caseName ?? (initial && list.some((c) => c.name === initial) ? initial : (list.find((c) => /case30_ieee|case14/.test(c.name))?.name ?? list[0]?.name ?? null));
  const regionList = regs.data ?? [];
  const region = regionPick && regionList.includes(regionPick) ? regionPick : regionList.includes("PJM") ? "PJM" : (regionList[0] ?? null);
  // The forecast hours a study can use: the region's next 48 h as the forecast service gives them.
  const fcHours = useApi((s) => forecast(region!, 48, 0, s), [region], { enabled: src === "forecast" && !!region });
  const hours = fcHours.data?.points ?? [];
  const atValue = at && hours.some((p) => isoHour(p.t) === at) ? at : hours.length ? isoHour(hours[Math.min(17, hours.length - 1)].t) : null;
  const load: LoadSource =
    src === "scaled" ? { source: "scaled", scale: scale / 100 } : src === "forecast" ? { source: "forecast", region: region ?? "", at: atValue ?? "" } : { source: "case" };
  const canRun = !!current && (src !== "forecast" || !!atValue);
  const request = (): OpfRequest => ({ case: current!, mode, load, outages: [...outages].sort((a, b) => a - b) });

  const run = async <T,>(set: (r: Run<T>) => void, fn: (progress: (p: JobProgress) => void) => Promise<T>, purpose: string, what: string) => {
    set({ state: "busy" });
    try {
      set({ state: "done", data: await withKey(() => fn((p) => set({ state: "busy", progress: progressText(what, p) })), purpose) });
    } catch (e) {
      set({ state: "error", error: e });
    }
  };

  // The base state of the chosen case, as soon as it is chosen (a solve is a POST: the key).
  useEffect(() => {
    if (!current) return;
    const ac = new AbortController();
    setBase({ state: "busy", progress: getApiKey() ? undefined : KEY_WAIT });
    withKey(
      () => baseState(current, ac.signal, (p) => !ac.signal.aborted && setBase({ state: "busy", progress: progressText("Base state", p) })),
      "solve the base state of the network (a power flow)",
    )
      .then((d) => !ac.signal.aborted && setBase({ state: "done", data: d }))
      .catch((e) => !ac.signal.aborted && (e as Error)?.name !== "AbortError" && setBase({ state: "error", error: e }));
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [current, baseTry]);

  const toggle = (i: number) =>
    setOutages((o) => {
      const n = new Set(o);
      if (n.has(i)) n.delete(i);
      else n.add(i);
      return n;
    });
  const baseData = base.state === "done" ? base.data : null;
  const lastOpf = opf.state === "done" ? opf.data : null;
  // The graph shows the last OPF of this case, else the base state.
  const shown: { r: OpfResult; label: string } | null = lastOpf
    ? { r: lastOpf, label: `OPF result (${lastOpf.kind.toUpperCase()})` }
    : baseData
      ? { r: baseData.result, label: baseData.kind === "pf" ? "base state: AC power flow of the case as given" : "base state: DC OPF (the AC power flow of the case as given does not converge)" }
      : null;
  // The topology needs no solve (a GET): the graph is there before the base state.
  const net = useApi((s) => caseTopology(current!, s), [current], { enabled: !!current });
  const topo = net.data && net.data.case === current ? net.data : null;
  const drawn = useMemo(() => (topo ? (shown ? alignToTopology(topo, shown.r) : topo.unsolved) : null), [topo, shown?.r]);
  const hasLmp = !!shown?.r.bus.some((b) => b.lmp !== null);
  // A DC result has flat voltages: its buses are coloured by LMP.
  const hasVoltage = !!shown && shown.r.kind !== "dcopf" && shown.r.bus.some((b) => b.vm_pu !== null && Math.abs(b.vm_pu - 1) > 1e-9);
  const busColouring: BusColouring = colouring === "voltage" && !hasVoltage && hasLmp ? "lmp" : colouring;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Grid</h1>
        <p className="muted">The network of a MATPOWER case and its base state; optimal power flow (Ipopt) with the load you choose and the branches you take out of service; N-1; a day schedule on a region's forecast.</p>
      </div>
      <Panel title="Study">
        <Async state={cs} what="The network cases" isEmpty={(d) => d.length === 0} empty="The simulation service has no cases.">
          {() => (
            <form
              className="study-form"
              onSubmit={(e) => {
                e.preventDefault();
                void run(setOpf, (p) => runOpf(request(), undefined, p), "run an OPF", "OPF");
              }}
            >
              <label>
                Case{" "}
                <select
                  value={current ?? ""}
                  onChange={(e) => {
                    setCaseName(e.target.value);
                    setOutages(new Set());
                    setSelectedBus(null);
                    setOpf({ state: "idle" });
                    setN1({ state: "idle" });
                    const u = new URL(window.location.href);
                    u.searchParams.set("case", e.target.value);
                    window.history.replaceState(null, "", u);
                  }}
                  data-testid="case-select"
                >
                  {list.map((c) => (
                    <option key={c.name} value={c.name}>
                      {c.name}
                      {c.buses ? ` (${fmtNum(c.buses)} buses)` : ""}
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
                  <input type="radio" name="src" checked={src === "forecast"} onChange={() => setSrc("forecast")} disabled={!regionList.length} /> forecast
                </label>
              </fieldset>
              {src === "scaled" && (
                <label>
                  Scale{" "}
                  <input type="number" min={10} max={200} step={5} value={scale} onChange={(e) => setScale(Number(e.target.value))} className="num-input" /> %
                </label>
              )}
              <label title="Regions whose demand model is in production">
                Region{" "}
                <select value={region ?? ""} onChange={(e) => setRegion(e.target.value)} disabled={!regionList.length} data-testid="region-select">
                  {regionList.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </label>
              {src === "forecast" && (
                <>
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
                <button type="button" className="btn" disabled={!canRun || n1.state === "busy"} onClick={() => void run(setN1, (p) => runContingencies(request(), undefined, p), "run N-1", "N-1")} data-testid="run-n1">
                  {n1.state === "busy" ? "Running N-1…" : "Run N-1"}
                </button>
                <button
                  type="button"
                  className="btn"
                  disabled={!current || !region || sched.state === "busy"}
                  onClick={() =>
                    void run(
                      setSched,
                      async (p) => {
                        // The schedule starts where the region's forecast starts.
                        const f = await forecast(region!, 24, 0);
                        if (!f.points.length) throw new Error(`the ${region} forecast has no hours`);
                        return runSchedule({ case: current!, mode, region: region!, start: isoHour(f.points[0].t), hours: 24, outages: [...outages] }, undefined, p);
                      },
                      "run a day schedule",
                      "Schedule",
                    )
                  }
                  data-testid="run-schedule"
                >
                  {sched.state === "busy" ? "Scheduling…" : region ? `24 h schedule (${region})` : "24 h schedule (no region has a model)"}
                </button>
              </div>
              <div className="outage-summary" data-testid="outage-summary" data-outages={[...outages].sort((a, b) => a - b).join(",")}>
                {outages.size > 0 ? (
                  <>
                    Out of service: {[...outages].sort((a, b) => a - b).map((i) => `#${i + 1}`).join(", ")}{" "}
                    <button type="button" className="linklike" onClick={() => setOutages(new Set())}>
                      clear
                    </button>
                  </>
                ) : (
                  <span className="muted">No outage: click a branch on the graph or tick it in the branch list to take it out of service.</span>
                )}
              </div>
            </form>
          )}
        </Async>
      </Panel>

      <BaseView base={base} retry={() => setBaseTry((t) => t + 1)} />
      {opf.state === "busy" && <Loading what={opf.progress ?? "the OPF solution"} />}
      {opf.state === "error" && <ErrorState error={opf.error} what="The OPF" />}
      {lastOpf && <OpfSummary r={lastOpf} />}

      {net.error ? <ErrorState error={net.error} what="The network of the case" /> : null}
      {topo && drawn && (
        <div className="grid-2 wide-left">
          <Panel
            title={<>Network <span className="muted small" data-testid="network-showing">— {shown ? shown.label : "the case as written (no solve yet: grey)"}</span></>}
            actions={
              <fieldset className="seg small">
                <legend className="sr-only">Colour buses by</legend>
                <label>
                  <input type="radio" name="colouring" checked={busColouring === "voltage"} onChange={() => setColouring("voltage")} disabled={!hasVoltage} /> voltage
                </label>
                <label>
                  <input type="radio" name="colouring" checked={busColouring === "lmp"} onChange={() => setColouring("lmp")} disabled={!hasLmp} /> LMP
                </label>
              </fieldset>
            }
          >
            <NetworkCanvas topo={topo} bus={drawn.bus} branch={drawn.branch} colouring={busColouring} outages={outages} onToggleBranch={toggle} selected={selectedBus} onSelect={setSelectedBus} />
          </Panel>
          <div className="stack">
            {selectedBus !== null && <BusDetail r={shown?.r ?? { ...topo.unsolved, gen: [] }} id={selectedBus} outages={outages} toggle={toggle} />}
            <BranchList branches={drawn.branch} outages={outages} toggle={toggle} />
          </div>
        </div>
      )}

      {lastOpf && <OpfView r={lastOpf} />}

      {n1.state !== "idle" && (
        <Panel title="N-1 contingencies" id="n1">
          {n1.state === "busy" ? <Loading what={n1.progress ?? "contingencies"} /> : n1.state === "error" ? <ErrorState error={n1.error} what="The N-1 analysis" /> : <N1View r={n1.data} />}
        </Panel>
      )}
      {sched.state !== "idle" && (
        <Panel title={`24-hour schedule (${sched.state === "done" ? (sched.data.region ?? region) : region} forecast)`} id="schedule">
          {sched.state === "busy" ? <Loading what={sched.progress ?? "the schedule"} /> : sched.state === "error" ? <ErrorState error={sched.error} what="The schedule" /> : <ScheduleView s={sched.data} />}
        </Panel>
      )}
    </div>
  );
}

/** The base state's power-flow summary (or why there is none yet). */
function BaseView({ base, retry }: { base: Run<BaseState>; retry: () => void }) {
  if (base.state === "idle") return null;
  if (base.state === "busy" && base.progress === KEY_WAIT)
    return (
      <div className="state state-auth" data-state="key">
        The base state of the network is a power flow (a POST): it needs an API key with the <code>operate</code> scope.
      </div>
    );
  if (base.state === "busy") return <Loading what={base.progress ?? "the base state (power flow of the case)"} />;
  if (base.state === "error")
    return (
      <div>
        <ErrorState error={base.error} what="The base state" />
        <button type="button" className="btn small" onClick={retry}>
          Solve the base state again
        </button>
      </div>
    );
  const { result: r, kind, fallback } = base.data;
  const vms = r.bus.map((b) => b.vm_pu).filter((v): v is number => v !== null);
  const loads = r.branch.filter((b) => b.in_service).map((b) => b.loading_percent ?? 0);
  const maxLoad = loads.length ? Math.max(...loads) : 0;
  const over = loads.filter((x) => x >= 100).length;
  const c = r.raw.case as { buses?: number; branches?: number; generators?: number } | undefined;
  return (
    <section aria-label="Base state" data-testid="base-state" data-kind={kind} data-max-loading={maxLoad} data-overloaded={over}>
      {fallback && (
        <p className="state state-warn small" data-testid="base-fallback">
          The AC power flow of the case as given does not converge ({fallback.message}); the base state shown is the DC OPF: flows, loading and LMPs,
          with voltages at 1 pu.
        </p>
      )}
      <div className="cards">
        <StatCard label="Base state" value={kind === "pf" ? "AC power flow" : "DC OPF"} tone={r.converged ? "ok" : "bad"} sub={`${(r.status || (r.converged ? "converged" : "not converged")).replace(/_/g, " ")}${r.time_s !== null ? ` · ${fmtNum(r.time_s * 1000, r.time_s < 0.01 ? 1 : 0)} ms` : ""}`} testId="base-kind" />
        <StatCard label="Network" value={`${fmtNum(c?.buses ?? r.bus.length)} buses`} sub={`${fmtNum(c?.branches ?? r.branch.length)} branches · ${fmtNum(c?.generators ?? r.gen.length)} generators`} testId="base-size" />
        <StatCard label="Load" value={fmtMW(r.totals.load_mw)} sub={r.totals.losses_mw !== null ? `generation ${fmtMW(r.totals.gen_mw)} · losses ${fmtNum(r.totals.losses_mw, 1)} MW` : `generation ${fmtMW(r.totals.gen_mw)}`} testId="base-load" />
        <StatCard label="Most loaded branch" value={fmtPct(maxLoad, 1)} tone={maxLoad >= 100 ? "bad" : maxLoad >= 80 ? "warn" : undefined} sub={`${fmtNum(over)} at or above the limit`} testId="base-max-loading" />
        <StatCard label="Voltages" value={kind === "pf" && vms.length ? `${fmtNum(Math.min(...vms), 3)}–${fmtNum(Math.max(...vms), 3)} pu` : "–"} sub={kind === "pf" ? "lowest–highest bus" : "DC: not modelled"} testId="base-voltage" />
      </div>
    </section>
  );
}

/** The tick that takes a branch out of service (or back). */
function OutageBox({ b, outages, toggle }: { b: BranchResult; outages: Set<number>; toggle: (i: number) => void }) {
  return <input type="checkbox" checked={outages.has(b.index)} onChange={() => toggle(b.index)} aria-label={`Take branch ${b.index + 1} (${b.fbus}–${b.tbus}) out of service`} />;
}

/** The bus chosen on the graph or found by number: its values and branches. */
function BusDetail({ r, id, outages, toggle }: { r: Pick<OpfResult, "bus" | "branch" | "gen">; id: number; outages: Set<number>; toggle: (i: number) => void }) {
  const b = r.bus.find((x) => x.id === id);
  const br = r.branch.filter((x) => x.fbus === id || x.tbus === id);
  const gens = r.gen.filter((g) => g.bus === id);
  if (!b) return null;
  return (
    <Panel title={`Bus ${id}`}>
      <dl className="kv" data-testid="bus-detail" data-bus={id} data-vm={b.vm_pu ?? ""} data-lmp={b.lmp ?? ""}>
        <dt>Voltage</dt>
        <dd>{fmtNum(b.vm_pu, 4)} pu, {fmtNum(b.va_degree, 2)}°</dd>
        <dt>Load</dt>
        <dd>{fmtNum(b.pd_mw, 1)} MW</dd>
        <dt>LMP</dt>
        <dd>{b.lmp !== null ? `${fmtNum(b.lmp, 2)} $/MWh` : "–"}</dd>
        <dt>Generators</dt>
        <dd>{gens.length ? gens.map((g) => `#${g.index + 1} ${fmtNum(g.p_mw, 1)} MW`).join(", ") : "none"}</dd>
      </dl>
      <table className="table compact">
        <caption className="sr-only">Branches at bus {id}</caption>
        <thead>
          <tr>
            <th scope="col">Out</th>
            <th scope="col">Branch</th>
            <th scope="col" className="num">Loading</th>
          </tr>
        </thead>
        <tbody>
          {br.map((x) => (
            <tr key={x.index}>
              <td>
                <OutageBox b={x} outages={outages} toggle={toggle} />
              </td>
              <td>
                #{x.index + 1} {x.fbus} → {x.tbus}
              </td>
              <td className="num">{x.in_service ? fmtPct(x.loading_percent, 1) : "out"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

/** Branches by loading, with a filter by bus or branch number; a tick takes one out of service. */
function BranchList({ branches, outages, toggle }: { branches: BranchResult[]; outages: Set<number>; toggle: (i: number) => void }) {
  const [filter, setFilter] = useState("");
  const sorted = useMemo(() => [...branches].sort((a, b) => (b.loading_percent ?? -1) - (a.loading_percent ?? -1)), [branches]);
  const q = filter.trim().replace(/^#/, "");
  const rows = q ? sorted.filter((b) => String(b.fbus) === q || String(b.tbus) === q || String(b.index + 1) === q) : sorted;
  return (
    <Panel title="Branches (by loading)">
      <label className="small">
        Filter{" "}
        <input type="text" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="bus or #branch" className="num-input" data-testid="branch-filter" />
      </label>
      <div className="table-wrap tall">
        <table className="table compact" data-testid="branch-table" data-rows={rows.length}>
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
            {rows.slice(0, ROWS).map((b) => (
              <tr key={b.index} data-branch={b.index}>
                <td>
                  <OutageBox b={b} outages={outages} toggle={toggle} />
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
      {rows.length > ROWS && <p className="muted small">The {ROWS} most loaded of {fmtNum(rows.length)}; filter by bus or branch number for the others.</p>}
    </Panel>
  );
}

function OpfSummary({ r }: { r: OpfResult }) {
  const maxLoad = Math.max(0, ...r.branch.map((b) => b.loading_percent ?? 0));
  return (
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
  );
}

function OpfView({ r }: { r: OpfResult }) {
  const gens = useMemo(() => (r.gen.length > ROWS ? [...r.gen].sort((a, b) => (b.p_mw ?? 0) - (a.p_mw ?? 0)) : r.gen), [r.gen]);
  return (
    <>
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
                {gens.slice(0, ROWS).map((g) => (
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
          {gens.length > ROWS && <p className="muted small">The {ROWS} largest of {fmtNum(gens.length)} generators.</p>}
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
