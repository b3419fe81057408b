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
const KEEP = 180; // samples per region (15 min at 5 s)
const PALETTE = ["#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#0072B2", "#a6cee3", "#b2df8a", "#fb9a99"];

function useRegionHistory(s: IngestionSummary | undefined, updated: number | null) {
  const hist = useRef<{ t: number[]; byRegion: Map<string, (number | null)[]> }>({ t: [], byRegion: new Map() });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!s || !updated) return;
    const h = hist.current;
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
    if (h.t.length > KEEP) {
      h.t.shift();
      for (const arr of h.byRegion.values()) arr.shift();
    }
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
    return { x: [...hist.t], series, unit: k === 1000 ? "kW" : "MW" };
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
        <Panel title="Live load per region">
          <Async state={sum} what="Live load" isEmpty={(d) => d.regions.length === 0} empty="No region is reporting yet: start meters or the simulator (make up does).">
            {() =>
              chart.x.length < 2 ? (
                <div className="state" data-state="waiting">Collecting samples… the chart draws after the second update ({POLL_MS / 1000} s).</div>
              ) : (
                <TimeChart x={chart.x} series={chart.series} yLabel={chart.unit} label="Live load per region over the last minutes" height={280} testId="live-load-chart" />
              )
            }
          </Async>
        </Panel>
        <Panel title="Load now">
          <Async state={sum} what="Live load" isEmpty={(d) => d.regions.length === 0} empty="No regions reporting.">
            {() => {
              const max = Math.max(1, ...top.map((r) => r.load_mw ?? 0));
              return (
                <ul className="bars" data-testid="region-loads">
                  {top.slice(0, 12).map((r) => (
                    <li key={r.region} data-region={r.region} data-load={r.load_mw ?? ""}>
                      <span className="bar-label" title={r.name ?? undefined}>{r.region}</span>
                      <span className="bar-track" aria-hidden="true">
                        <span className="bar-fill" style={{ width: `${(100 * (r.load_mw ?? 0)) / max}%` }} />
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
