// Overview: the live state of the grid at a glance. Cards poll every 5 s; the region chart
// keeps the samples seen since the page opened (the summary gives the current load per
// region), so it fills in while the page is open.
import { useEffect, useMemo, useRef, useState } from "react";
import { anomalies, ingestionSummary, loadedModels, models, type IngestionSummary } from "../api";
import { useApi } from "../hooks";
import { Panel, StatCard } from "../components/Panel";
import { Async } from "../components/State";
import { TimeChart, type ChartSeries } from "../components/TimeChart";
import { fmtAgo, fmtMW, fmtNum, fmtTime } from "../format";
import { Link } from "../router";

const POLL_MS = 5000;
const WINDOW_S = 15 * 60; // the live chart always spans the last 15 minutes
const KEEP = WINDOW_S / (POLL_MS / 1000); // samples per region
const STORE = "gridflow.liveLoad";
const PALETTE = ["#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#0072B2", "#a6cee3", "#b2df8a", "#fb9a99"];

type History = { t: number[]; byRegion: Map<string, (number | null)[]> };

// The samples outlive the page: kept for the tab (sessionStorage), so coming back to the
// Overview shows the minutes already seen instead of starting over.
function loadHistory(): History {
  try {
    const j = JSON.parse(sessionStorage.getItem(STORE) ?? "null") as { t: number[]; r: Record<string, (number | null)[]> } | null;
    if (j && Array.isArray(j.t) && j.r) {
      const cut = Date.now() / 1000 - WINDOW_S;
      const from = j.t.findIndex((t) => t >= cut);
      if (from >= 0) {
        const byRegion = new Map(Object.entries(j.r).map(([k, v]) => [k, v.slice(from)]));
        return { t: j.t.slice(from), byRegion };
      }
    }
  } catch {
    /* private mode or bad JSON: start empty */
  }
  return { t: [], byRegion: new Map() };
}
function saveHistory(h: History) {
  try {
    sessionStorage.setItem(STORE, JSON.stringify({ t: h.t, r: Object.fromEntries(h.byRegion) }));
  } catch {
    /* full or unavailable: the chart still works for this visit */
  }
}

function useRegionHistory(s: IngestionSummary | undefined, updated: number | null) {
  const hist = useRef<History | null>(null);
  if (hist.current === null) hist.current = loadHistory();
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!s || !updated) return;
    const h = hist.current!;
    const n = h.t.length;
    h.t.push(updated / 1000);
    const seen = new Set<string>();
    for (const r of s.regions) {
      if (r.load_mw === null) continue;
      seen.add(r.region);
      let arr = h.byRegion.get(r.region);
      if (!arr) {
        arr = new Array(n).fill(null);
        h.byRegion.set(r.region, arr);
      }
      arr.push(r.load_mw);
    }
    for (const [k, arr] of h.byRegion) if (!seen.has(k)) arr.push(null);
    const cut = updated / 1000 - WINDOW_S;
    while (h.t.length > KEEP || (h.t.length && h.t[0] < cut)) {
      h.t.shift();
      for (const arr of h.byRegion.values()) arr.shift();
    }
    saveHistory(h);
    setVersion((v) => v + 1);
  }, [s, updated]);
  return { hist: hist.current, version };
}

export function Overview() {
  const sum = useApi(ingestionSummary, [], { interval: POLL_MS });
  const anom = useApi((sig) => anomalies({}, sig), [], { interval: POLL_MS * 2 });
  const mods = useApi(models, [], { interval: 30000 });
  const served = useApi(loadedModels, [], { interval: 30000 });
  const { hist, version } = useRegionHistory(sum.data, sum.updated);

  const s = sum.data;
  const inProd = mods.data ? mods.data.filter((m) => m.aliases.production !== undefined).length : null;
  const openAnoms = s?.open_anomalies ?? (anom.data ? anom.data.length : null);

  const top = useMemo(() => {
    const regs = [...(s?.regions ?? [])].filter((r) => r.load_mw !== null).sort((a, b) => (b.load_mw ?? 0) - (a.load_mw ?? 0));
    return regs;
  }, [s]);

  const chart = useMemo(() => {
    const regions = [...hist.byRegion.keys()].sort();
    // Small (simulated) fleets are drawn in kW, real regions in MW.
    const max = Math.max(0, ...regions.flatMap((r) => hist.byRegion.get(r)!.map((v) => Math.abs(v ?? 0))));
    const k = max > 0 && max < 1 ? 1000 : 1;
    const series: ChartSeries[] = regions.slice(0, 10).map((r, i) => ({ label: r, values: hist.byRegion.get(r)!.map((v) => (v === null ? null : v * k)), color: PALETTE[i % PALETTE.length], width: 2 }));
    const end = hist.t.length ? hist.t[hist.t.length - 1] : Date.now() / 1000;
    return { x: [...hist.t], series, unit: k === 1000 ? "kW" : "MW", range: [end - WINDOW_S, end] as [number, number] };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);

  const card = (v: string | null, error: unknown) => (v !== null ? v : error ? "n/a" : "…");

  return (
    <div className="page">
      <div className="page-head">
        <h1>Overview</h1>
        <p className="muted" aria-live="off">
          {sum.updated ? `Live · updated ${fmtAgo(sum.updated)}` : sum.error ? "Live data unavailable" : "Connecting…"}
        </p>
      </div>
      <div className="cards" data-testid="overview-cards">
        <StatCard label="Total load" value={card(s ? fmtMW(s.total_load_mw) : null, sum.error)} testId="card-total-load" sub="sum over reporting meters" />
        <StatCard label="Meters reporting" value={card(s ? fmtNum(s.meters_reporting) : null, sum.error)} testId="card-meters" />
        <StatCard label="Readings / s" value={card(s ? fmtNum(s.readings_per_second, 1) : null, sum.error)} testId="card-rate" />
        <StatCard
          label="Rejections"
          value={card(s ? fmtNum(s.rejected) : null, sum.error)}
          tone={s && (s.rejected ?? 0) > 0 ? "warn" : undefined}
          testId="card-rejected"
          sub={s?.accepted != null ? `${fmtNum(s.accepted)} accepted` : undefined}
        />
        <StatCard
          label="Open anomalies"
          value={card(openAnoms !== null ? fmtNum(openAnoms) : null, anom.error && sum.error)}
          tone={openAnoms ? "warn" : undefined}
          testId="card-anomalies"
        />
        <StatCard
          label="Models in production"
          value={card(inProd !== null ? fmtNum(inProd) : null, mods.error)}
          testId="card-models"
          sub={
            mods.data
              ? `${mods.data.length} registered${served.data ? ` · ${served.data.length} served by forecast` : ""}`
              : undefined
          }
        />
      </div>
      <div className="grid-2 wide-left">
        <Panel title={`Live load per region · last ${WINDOW_S / 60} min`}>
          <Async state={sum} what="Live load" isEmpty={(d) => d.regions.length === 0} empty="No region is reporting yet: start meters or the simulator (make up does).">
            {() =>
              chart.x.length < 2 ? (
                <div className="state" data-state="waiting">Collecting samples… the chart draws after the second update ({POLL_MS / 1000} s).</div>
              ) : (
                <TimeChart x={chart.x} xRange={chart.range} series={chart.series} yLabel={chart.unit} label={`Live load per region over the last ${WINDOW_S / 60} minutes`} height={280} testId="live-load-chart" />
              )
            }
          </Async>
        </Panel>
        <Panel title="Load now">
          <Async state={sum} what="Live load" isEmpty={(d) => d.regions.length === 0} empty="No regions reporting.">
            {() => {
              // Scaled to the largest region shown, whatever the unit (a 30 kW fleet fills the bar too).
              const max = Math.max(0, ...top.slice(0, 12).map((r) => r.load_mw ?? 0));
              return (
                <ul className="bars" data-testid="region-loads">
                  {top.slice(0, 12).map((r) => (
                    <li key={r.region} data-region={r.region} data-load={r.load_mw ?? ""}>
                      <span className="bar-label" title={r.name ?? undefined}>{r.region}</span>
                      <span className="bar-track" aria-hidden="true">
                        <span className="bar-fill" style={{ width: `${max > 0 ? (100 * Math.max(0, r.load_mw ?? 0)) / max : 0}%` }} />
                      </span>
                      <span className="bar-value">{fmtMW(r.load_mw)}</span>
                    </li>
                  ))}
                </ul>
              );
            }}
          </Async>
        </Panel>
      </div>
      <Panel title="Latest anomalies" actions={<Link href="/system" className="muted small">Service status →</Link>}>
        <Async state={anom} what="Anomalies" isEmpty={(d) => d.length === 0} empty="No anomalies detected.">
          {(list) => (
            <div className="table-wrap">
              <table className="table" data-testid="anomalies-table">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Region</th>
                    <th scope="col">Meter</th>
                    <th scope="col">Type</th>
                    <th scope="col" className="num">Actual</th>
                    <th scope="col" className="num">Expected</th>
                    <th scope="col" className="num">Score</th>
                  </tr>
                </thead>
                <tbody>
                  {[...list].sort((a, b) => (b.ts ?? 0) - (a.ts ?? 0)).slice(0, 15).map((a, i) => (
                    <tr key={`${a.id}-${i}`}>
                      <td>{fmtTime(a.ts)}</td>
                      <td>{a.region ?? "–"}</td>
                      <td>{a.meter ?? "–"}</td>
                      <td>
                        <span className={`pill ${a.severity === "critical" ? "bad" : "warn"}`} title={a.severity ?? undefined}>
                          {a.kind.replace(/_/g, " ")}
                          {a.severity ? ` · ${a.severity}` : ""}
                        </span>
                        {a.field ? <span className="muted small"> {a.field}</span> : null}
                      </td>
                      <td className="num">{fmtNum(a.value, Math.abs(a.value ?? 0) < 10 ? 2 : 1)}</td>
                      <td className="num">{fmtNum(a.expected, Math.abs(a.expected ?? 0) < 10 ? 2 : 1)}</td>
                      <td className="num">{fmtNum(a.score, 2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
      </Panel>
    </div>
  );
}
