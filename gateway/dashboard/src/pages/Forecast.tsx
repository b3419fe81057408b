// Forecast: actuals and the forecast with its prediction intervals for one region, the model
// that made it (version, backtest metrics, when it was trained), and how wrong the day-ahead
// forecasts of recent days were against what was then measured.
import { useEffect, useMemo, useState } from "react";
import { ApiError, demand, forecast, model, models, regions, type Forecast, type Model, type RegionInfo } from "../api";
import { useApi } from "../hooks";
import { Panel, StatCard } from "../components/Panel";
import { Async, ErrorState } from "../components/State";
import { TimeChart, type ChartBand, type ChartSeries } from "../components/TimeChart";
import { fmtDate, fmtMW, fmtNum, fmtPct, fmtTime } from "../format";
import { OKABE } from "../colors";
import { DEFAULT_DEMAND_FEATURES, gapImpact, hourRanges, lookbackHours, missingHours, type GapImpact } from "../gaps";

const HEADLINE = ["CISO", "ERCO", "ISNE", "MISO", "NYIS", "PJM", "SWPP", "NYC"];
const HORIZONS = [24, 48, 72, 168];

async function loadRegions(signal: AbortSignal): Promise<{ list: RegionInfo[]; source: string }> {
  try {
    const list = await regions(signal);
    if (list.length) return { list, source: "ingestion" };
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
  }
  try {
    const ms = await models(signal);
    const list = ms.filter((m) => m.region).map((m) => ({ region: m.region!, name: null, hours: null, from: null, to: null }));
    if (list.length) return { list, source: "trainer" };
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
  }
  return { list: HEADLINE.map((r) => ({ region: r, name: null, hours: null, from: null, to: null })), source: "default" };
}

export function ForecastPage() {
  const regs = useApi(loadRegions, []);
  const initial = typeof window !== "undefined" ? new URLSearchParams(window.location.search).get("region") : null;
  const [region, setRegion] = useState<string | null>(initial);
  const [horizon, setHorizon] = useState(48);
  const [history, setHistory] = useState(48);
  const list = regs.data?.list ?? [];
  const current = region ?? (list.find((r) => r.region === "PJM")?.region || list[0]?.region) ?? null;

  const fc = useApi<Forecast>((s) => forecast(current!, horizon, history, s), [current, horizon, history], { enabled: !!current, interval: 60000 });
  const reg = useApi<Model>(
    async (s) => {
      const all = await models(s);
      const m = all.find((x) => x.region === current || x.name === `load:${current}`);
      if (!m) throw new ApiError(404, "no_model", `no model is registered for ${current}`);
      return model(m.name, s); // versions with metrics and training range
    },
    [current],
    { enabled: !!current },
  );

  const [impact, setImpact] = useState<{ region: string; origin: number | null; impact: GapImpact } | null>(null);

  const choose = (r: string) => {
    setRegion(r);
    const u = new URL(window.location.href);
    u.searchParams.set("region", r);
    window.history.replaceState(null, "", u);
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Forecast</h1>
        <div className="toolbar">
          <label>
            Region{" "}
            <select value={current ?? ""} onChange={(e) => choose(e.target.value)} disabled={!list.length} data-testid="region-select">
              {list.map((r) => (
                <option key={r.region} value={r.region}>
                  {r.region}
                  {r.name ? ` — ${r.name}` : ""}
                </option>
              ))}
            </select>
          </label>
          <label>
            Horizon{" "}
            <select value={horizon} onChange={(e) => setHorizon(Number(e.target.value))}>
              {HORIZONS.map((h) => (
                <option key={h} value={h}>
                  {h} h
                </option>
              ))}
            </select>
          </label>
          <label>
            History{" "}
            <select value={history} onChange={(e) => setHistory(Number(e.target.value))}>
              <option value={48}>2 days</option>
              <option value={168}>7 days</option>
              <option value={336}>14 days</option>
            </select>
          </label>
        </div>
      </div>
      {regs.data?.source === "default" && <p className="muted small">The region list comes from defaults: neither the ingestion nor the trainer service listed regions.</p>}

      <Panel title={current ? `${current}: actuals and forecast` : "Forecast"}>
        <Async state={fc} what="The forecast" isEmpty={(d) => d.points.length === 0} empty="The service returned no forecast points.">
          {(d) => (
            <>
              <HistoryGaps f={d} features={featuresOf(reg.data, d.version)} first={list.find((r) => r.region === d.region)?.from ?? null} onImpact={setImpact} />
              <ForecastChart f={d} affected={impact?.region === d.region && impact.origin === d.origin ? impact.impact : null} />
            </>
          )}
        </Async>
      </Panel>

      <div className="grid-2">
        <Panel title="Model">
          <ModelInfo fc={fc.data} reg={reg.data} regError={reg.error} fcError={fc.error} />
        </Panel>
        <Panel title="Forecast error, recent days (day-ahead)">
          {current && fc.data ? <RecentError region={current} f={fc.data} /> : fc.error ? <ErrorState error={fc.error} what="The forecast" /> : <div className="state">Waiting for the forecast…</div>}
        </Panel>
      </div>
    </div>
  );
}

/** The demand features of the version that made the forecast (its spec), else the default spec's. */
function featuresOf(reg: Model | undefined, version: number | null): string[] {
  const v = reg?.versions.find((x) => x.version === version);
  const spec = v?.raw.spec as { features?: unknown } | undefined;
  return Array.isArray(spec?.features) ? spec.features.filter((x): x is string => typeof x === "string") : DEFAULT_DEMAND_FEATURES;
}

/** Hours missing from the history the forecast reads (its features look back up to 672 h), and
 *  which forecast hours read them: a missing hour is not an error for the service (the feature
 *  is NaN), but the forecast at those hours can jump. */
function HistoryGaps({ f, features, first, onImpact }: { f: Forecast; features: string[]; first: number | null; onImpact: (x: { region: string; origin: number | null; impact: GapImpact } | null) => void }) {
  const origin = f.origin ?? f.points[0]?.t ?? null;
  const back = lookbackHours(features);
  const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000", "");
  const st = useApi(
    async (s) => {
      const from = origin! - back * 3600;
      const d = await demand(f.region, iso(from), iso(origin!), s);
      const missing = missingHours(from, origin!, d.t, d.v, first);
      return { missing, impact: gapImpact(features, origin!, f.points.map((p) => p.t), missing) };
    },
    [f.region, origin, back, features.join(","), first, f.points.length],
    { enabled: origin !== null },
  );
  const impact = st.data?.impact ?? null;
  useEffect(() => {
    onImpact(impact ? { region: f.region, origin: f.origin, impact } : null);
  }, [impact, f.region, f.origin, onImpact]);
  if (st.error) return <ErrorState error={st.error} what="The history check" />;
  if (!st.data || !impact) return null;
  const { missing } = st.data;
  if (!missing.length)
    return (
      <p className="muted small" data-testid="history-gaps" data-missing="0">
        No hour is missing in the {back} h of history the forecast reads.
      </p>
    );
  const ranges = hourRanges(missing);
  const hit = [...impact.hours.keys()].sort((a, b) => a - b);
  return (
    <div className="state state-warn gaps" role="status" data-testid="history-gaps" data-missing={missing.length} data-affected={hit.length} data-anchored={impact.anchored.join(",")}>
      <div>
        <strong>
          {missing.length} hour{missing.length === 1 ? "" : "s"} missing
        </strong>{" "}
        in the {back} h of history this forecast reads:{" "}
        <span data-testid="gap-hours">
          {ranges
            .slice(0, 6)
            .map(([a, b]) => (a === b ? fmtTime(a) : `${fmtTime(a)} – ${fmtTime(b)}`))
            .join("; ")}
          {ranges.length > 6 ? `; and ${ranges.length - 6} more` : ""}
        </span>
        .
      </div>
      <div>
        {impact.anchored.length ? (
          <>
            <strong>Every forecast hour</strong> reads it through {impact.anchored.join(", ")} (windows that end at the forecast start).{" "}
          </>
        ) : null}
        {hit.length ? (
          <span data-testid="gap-affected">
            {hit.length} forecast hour{hit.length === 1 ? "" : "s"} read a missing hour directly ({[...new Set(hit.flatMap((t) => impact.hours.get(t)!))].join(", ")}):{" "}
            {hit.slice(0, 8).map(fmtTime).join(", ")}
            {hit.length > 8 ? ", …" : ""} — marked on the chart.
          </span>
        ) : !impact.anchored.length ? (
          "No forecast hour reads it directly; only longer averages do."
        ) : null}
      </div>
    </div>
  );
}

function ForecastChart({ f, affected }: { f: Forecast; affected: GapImpact | null }) {
  const { x, series, bands, marker, shown } = useMemo(() => {
    const tset = new Set<number>([...f.history.t, ...f.points.map((p) => p.t)]);
    const x = [...tset].sort((a, b) => a - b);
    const idx = new Map(x.map((t, i) => [t, i]));
    const col = () => new Array<number | null>(x.length).fill(null);
    const act = col(), mean = col();
    f.history.t.forEach((t, i) => (act[idx.get(t)!] = f.history.v[i]));
    for (const p of f.points) mean[idx.get(p.t)!] = p.mean;
    const series: ChartSeries[] = [
      { label: "actual", values: act, color: "#e6ebf0", width: 1.6 },
      { label: "forecast", values: mean, color: OKABE.orange, width: 2.2 },
    ];
    const bands: ChartBand[] = [];
    // The widest interval light, the next one darker (two bands at most keep it readable).
    const shown = f.levels.slice(0, 2);
    shown.forEach((lvl, k) => {
      const lo = col(), hi = col();
      for (const p of f.points) {
        const iv = p.iv[lvl];
        if (iv) [lo[idx.get(p.t)!], hi[idx.get(p.t)!]] = iv;
      }
      series.push({ label: `${lvl} % high`, values: hi, color: OKABE.orange, bandEdge: true }, { label: `${lvl} % low`, values: lo, color: OKABE.orange, bandEdge: true });
      bands.push({ upper: series.length - 2, lower: series.length - 1, fill: k === 0 && shown.length > 1 ? "rgba(230,159,0,0.14)" : "rgba(230,159,0,0.30)" });
    });
    if (affected?.hours.size) {
      const gap = col();
      for (const p of f.points) if (affected.hours.has(p.t)) gap[idx.get(p.t)!] = p.mean;
      series.push({ label: "reads a missing hour", values: gap, color: OKABE.vermillion, width: 0, points: true, pointSize: 10 });
    }
    return { x, series, bands, marker: f.points[0]?.t ?? null, shown };
  }, [f, affected]);
  const first = f.points[0];
  const peak = f.points.reduce((m, p) => ((p.mean ?? -Infinity) > (m?.mean ?? -Infinity) ? p : m), f.points[0]);
  return (
    <>
      <div className="cards compact">
        <StatCard label="Next hour" value={fmtMW(first?.mean)} sub={first ? fmtTime(first.t) : undefined} testId="fc-next" />
        <StatCard label="Peak in horizon" value={fmtMW(peak?.mean)} sub={peak ? fmtTime(peak.t) : undefined} />
        <StatCard
          label={shown.length ? `${shown[shown.length - 1]} % interval, next hour` : "Interval, next hour"}
          value={first && shown.length && first.iv[shown[shown.length - 1]] ? `${fmtNum(first.iv[shown[shown.length - 1]][0])}–${fmtNum(first.iv[shown[shown.length - 1]][1])}` : "–"}
          sub="MW"
        />
        <StatCard label="Points" value={`${f.points.length} h`} sub={`${f.history.t.length} h of actuals`} />
      </div>
      <TimeChart x={x} series={series} bands={bands} marker={marker} yLabel="MW" height={320} label={`Demand in ${f.region}: actuals and forecast with prediction intervals`} testId="forecast-chart" />
      <p className="muted small">
        {shown.length ? `Shaded: ${shown.map((l, i) => `${l} %${shown.length > 1 ? (i === 0 ? " (light)" : " (dark)") : ""}`).join(" and ")} prediction intervals. ` : "The model gives no prediction intervals. "}
        Dashed line: forecast start. Drag to zoom, double-click to reset.
      </p>
    </>
  );
}

function ModelInfo({ fc, reg, regError, fcError }: { fc?: Forecast; reg?: Model; regError: unknown; fcError: unknown }) {
  const version = fc?.version ?? (reg ? reg.aliases.production : undefined) ?? null;
  const v = reg?.versions.find((x) => x.version === version);
  const metrics = v?.metrics ?? fc?.metrics ?? null;
  if (!fc && !reg) {
    if (regError || fcError) return <ErrorState error={regError ?? fcError} what="Model details" />;
    return <div className="state">Loading…</div>;
  }
  return (
    <div data-testid="model-info">
      <dl className="kv">
        <dt>Model</dt>
        <dd>{fc?.model ?? reg?.name ?? "–"}</dd>
        <dt>Version</dt>
        <dd data-testid="fc-model-version">{version ?? "–"}</dd>
        <dt>Aliases</dt>
        <dd data-testid="fc-model-aliases">{v?.aliases.length ? v.aliases.join(", ") : (fc?.alias ?? "–")}</dd>
        <dt>Trained</dt>
        <dd>{fmtTime(fc?.trained ?? v?.created ?? null)}</dd>
        <dt>Peak, last 365 days</dt>
        <dd>{fmtMW(fc?.peak_mw ?? null)}</dd>
        <dt>Training data</dt>
        <dd>{v?.train_from ? `${fmtDate(v.train_from)} → ${fmtDate(v.train_to)}` : "–"}</dd>
      </dl>
      <h3 className="sub">Backtest (held-out days)</h3>
      {metrics ? (
        <div className="cards compact">
          <StatCard label="MAE" value={fmtMW(metrics.mae)} testId="fc-mae" />
          <StatCard label="MAPE" value={fmtPct(metrics.mape, 2)} testId="fc-mape" />
          <StatCard label="RMSE" value={fmtMW(metrics.rmse)} />
          <StatCard label="vs last week" value={v?.baseline?.mape != null ? fmtPct(v.baseline.mape, 2) : "–"} sub="naive MAPE" />
        </div>
      ) : (
        <p className="muted">No metrics recorded for this version.</p>
      )}
    </div>
  );
}

interface DayError {
  day: number;
  mae: number;
  mape: number;
  n: number;
}

/** Day-ahead forecasts issued at 00:00 UTC of each of the last 7 days, scored on actuals. */
async function recentErrors(region: string, end: number, signal: AbortSignal): Promise<DayError[]> {
  const lastDay = Math.floor(end / 86400) * 86400; // start of the last (possibly partial) day
  const days = Array.from({ length: 7 }, (_, i) => lastDay - (7 - i) * 86400);
  const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000", "");
  const actual = await demand(region, iso(days[0]), iso(lastDay), signal);
  const byT = new Map(actual.t.map((t, i) => [t, actual.v[i]]));
  const out: DayError[] = [];
  await Promise.all(
    days.map(async (d) => {
      const f = await forecast(region, 24, 0, signal, iso(d));
      let sa = 0, sp = 0, n = 0;
      for (const p of f.points) {
        const yhat = p.mean;
        const y = byT.get(p.t);
        if (typeof yhat !== "number" || typeof y !== "number" || y === 0) continue;
        sa += Math.abs(yhat - y);
        sp += Math.abs(yhat - y) / Math.abs(y);
        n++;
      }
      if (n) out.push({ day: d, mae: sa / n, mape: (100 * sp) / n, n });
    }),
  );
  return out.sort((a, b) => a.day - b.day);
}

function RecentError({ region, f }: { region: string; f: Forecast }) {
  const end = f.history.t.length ? f.history.t[f.history.t.length - 1] : (f.points[0]?.t ?? 0) - 3600;
  const st = useApi((s) => recentErrors(region, end, s), [region, end]);
  return (
    <Async state={st} what="Recent forecast error" isEmpty={(d) => d.length === 0} empty="No day in the last week has both a forecast and actuals.">
      {(days) => {
        const max = Math.max(1, ...days.map((d) => d.mape));
        return (
          <>
            <ul className="bars" data-testid="recent-error">
              {days.map((d) => (
                <li key={d.day}>
                  <span className="bar-label">{fmtDate(d.day).slice(5)}</span>
                  <span className="bar-track" aria-hidden="true">
                    <span className="bar-fill" style={{ width: `${(100 * d.mape) / max}%`, background: d.mape > 5 ? OKABE.vermillion : OKABE.sky }} />
                  </span>
                  <span className="bar-value">
                    {fmtPct(d.mape, 1)} · {fmtMW(d.mae)}
                  </span>
                </li>
              ))}
            </ul>
            <p className="muted small">MAPE and MAE of the 24 h forecast issued at 00:00 UTC each day, against the measured demand.</p>
          </>
        );
      }}
    </Async>
  );
}
