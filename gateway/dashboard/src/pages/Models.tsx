// Models: the registry per region (versions with metrics, aliases, promotion history), with
// promote / roll back (API key), and training jobs started here and watched to the end.
import { useCallback, useEffect, useRef, useState } from "react";
import {
  STALE_DAYS,
  jobs,
  job,
  loadedModels,
  model,
  models,
  regions,
  retrainSchedule,
  rollbackAlias,
  rollbackTarget,
  setAlias,
  staleness,
  startTraining,
  type Job,
  type Model,
  type RegionInfo,
  type RetrainSchedule,
  type Staleness,
} from "../api";
import { useApi } from "../hooks";
import { useWithKey } from "../components/ApiKey";
import { Panel } from "../components/Panel";
import { Async, ErrorState } from "../components/State";
import { fmtDate, fmtMW, fmtNum, fmtPct, fmtTime } from "../format";

const DONE = /^(done|succeeded|success|finished|completed|partial|failed|error|cancelled|canceled)$/i;

/** A training job started here (the form or a stale model's Retrain), watched to its end. */
function useTraining(onDone: () => void) {
  const withKey = useWithKey();
  const [watch, setWatch] = useState<Job | null>(null);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    if (!watch || DONE.test(watch.status)) return;
    const t = setTimeout(async () => {
      try {
        const j = await job(watch.id);
        setWatch(j);
        if (DONE.test(j.status)) onDone();
      } catch (e) {
        setErr(e);
      }
    }, 1000);
    return () => clearTimeout(t);
  }, [watch, onDone]);
  const start = async (regionList: string[], promote: boolean) => {
    setErr(null);
    try {
      const j = await withKey(() => startTraining(regionList, { promote }), "start a training job");
      setWatch(j);
      onDone();
    } catch (e) {
      setErr(e);
    }
  };
  return { watch, err, start, running: !!watch && !DONE.test(watch.status) };
}
type Training = ReturnType<typeof useTraining>;

/** Refetch (keeping the shown data) when `key` changes after the first render. */
function useReloadOn(reload: () => void, key: unknown) {
  const first = useRef(key);
  useEffect(() => {
    if (first.current !== key) reload();
  }, [key, reload]);
}

function regionOf(name: string): string {
  return name.includes(":") ? name.split(":").slice(1).join(":") : name;
}

export function ModelsPage() {
  const list = useApi(models, [], { interval: 15000 });
  const regs = useApi(regions, [], { interval: 60000 });
  const [sel, setSel] = useState<string | null>(null);
  const [jobsTick, setJobsTick] = useState(0);
  const names = list.data?.map((m) => m.name) ?? [];
  const current = sel && names.includes(sel) ? sel : (names[0] ?? null);
  // Keep the shown model when the list changes (a newly trained model sorts before it).
  useEffect(() => {
    if (!sel && current) setSel(current);
  }, [sel, current]);
  const changed = useCallback(() => {
    list.reload();
    regs.reload();
    setJobsTick((t) => t + 1);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const training = useTraining(changed);
  // Each model's versions (the list has only counts), to flag stale ones in the list.
  const details = useApi((s) => Promise.all(names.map((n) => model(n, s))), [names.join(",")]);
  useReloadOn(details.reload, `${jobsTick}/${list.updated}`);
  const newest = (name: string) => regs.data?.find((r) => r.region === regionOf(name))?.to ?? null;
  const staleOf = (name: string): Staleness | null => {
    const m = details.data?.find((x) => x.name === name);
    return m ? staleness(m, newest(name)) : null;
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Models</h1>
        <p className="muted">Demand models per region in the registry. The forecast service serves each region's <em>production</em> alias and reloads when it moves.</p>
      </div>
      <div className="grid-2 narrow-left">
        <Panel title="Registry">
          <Async state={list} what="The model registry" isEmpty={(d) => d.length === 0} empty="No model is registered yet. Train one below.">
            {(ms) => (
              <ul className="model-list" role="listbox" aria-label="Models" data-testid="model-list">
                {ms.map((m) => {
                  const st = staleOf(m.name);
                  return (
                    <li key={m.name}>
                      <button
                        type="button"
                        role="option"
                        aria-selected={m.name === current}
                        className={m.name === current ? "selected" : ""}
                        onClick={() => setSel(m.name)}
                        data-model={m.name}
                        data-stale={st ? String(st.stale) : ""}
                      >
                        <span className="model-name">
                          {m.name} {st?.stale ? <span className="pill warn" title={`trained on data ending ${fmtDate(st.data_end)}; the region has data to ${fmtDate(st.newest)}`}>stale</span> : null}
                        </span>
                        <span className="muted small">
                          {m.aliases.production !== undefined ? `prod v${m.aliases.production}` : "no production"} · {m.n_versions} version{m.n_versions === 1 ? "" : "s"}{m.latest !== null ? `, latest v${m.latest}` : ""}
                        </span>
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
          </Async>
        </Panel>
        <div className="stack">
          {current ? <ModelDetail name={current} onChanged={changed} newest={newest(current)} training={training} tick={jobsTick} /> : null}
          <SchedulePanel tick={jobsTick} />
          <TrainPanel regs={regs.data} regsError={regs.error} training={training} tick={jobsTick} />
        </div>
      </div>
    </div>
  );
}

function ModelDetail({ name, onChanged, newest, training, tick }: { name: string; onChanged: () => void; newest: number | null; training: Training; tick: number }) {
  const st = useApi<Model>((s) => model(name, s), [name]);
  useReloadOn(st.reload, tick);
  // What the forecast service actually serves: it reloads when production moves.
  const served = useApi((s) => loadedModels(s), [name], { interval: 5000 });
  const servedVersion = served.data?.find((x) => x.name === name)?.version ?? null;
  const withKey = useWithKey();
  const [busy, setBusy] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);

  const act = async (label: string, fn: () => Promise<unknown>) => {
    setBusy(label);
    setErr(null);
    setNote(null);
    try {
      await withKey(fn, label.toLowerCase());
      setNote(`${label}: done.`);
      st.reload();
      onChanged();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Panel title={<>Model <code>{name}</code></>}>
      <Async state={st} what="The model">
        {(m) => {
          const prod = m.aliases.production;
          // Rollback only where the registry has a previous version to return to.
          const prevProd = prod !== undefined ? rollbackTarget(m, "production") : null;
          const stale = staleness(m, newest);
          const region = m.region ?? regionOf(name);
          return (
            <div data-testid="model-detail" data-production={prod ?? ""}>
              {stale?.stale && (
                <div className="state state-warn stale-note" role="status" data-testid="stale-model" data-version={stale.version}>
                  <span>
                    <strong>Stale:</strong> v{stale.version} ({prod === stale.version ? "production" : "latest"}) was trained on data that ends {fmtDate(stale.data_end)}; {region} has data to{" "}
                    {fmtDate(stale.newest)}, {fmtNum(stale.days, 0)} days newer (more than {STALE_DAYS}).
                  </span>{" "}
                  {stale.fresher !== null && (
                    <span data-testid="stale-fresher" data-version={stale.fresher}>
                      v{stale.fresher} has seen the recent data but is not in production (see its alias history for why): promote it, or
                      retrain.{" "}
                      <button type="button" className="btn small" disabled={!!busy} onClick={() => void act(`Promote v${stale.fresher} to production`, () => setAlias(name, "production", stale.fresher!, "promoted from the dashboard (stale production)", prod ?? null))}>
                        Promote v{stale.fresher}
                      </button>{" "}
                    </span>
                  )}
                  <button type="button" className="btn small primary" disabled={training.running} onClick={() => void training.start([region], true)} data-testid="retrain">
                    Retrain {region}
                  </button>
                </div>
              )}
              <div className="alias-row">
                {Object.keys(m.aliases).length === 0 && <span className="muted">No aliases set.</span>}
                {Object.entries(m.aliases).map(([a, v]) => (
                  <span key={a} className={`pill ${a === "production" ? "ok" : ""}`} data-testid={`alias-${a}`}>
                    {a} → v{v}
                  </span>
                ))}
                {prevProd !== null && (
                  <button
                    type="button"
                    className="btn small"
                    disabled={!!busy}
                    onClick={() => {
                      if (window.confirm(`Roll production of ${name} back to v${prevProd}?`))
                        void act("Roll back", () => rollbackAlias(name, "production", "rolled back from the dashboard"));
                    }}
                  >
                    Roll back production (to v{prevProd})
                  </button>
                )}
                {prod !== undefined && prevProd === null && <span className="muted small" data-testid="no-rollback">no earlier production version to roll back to</span>}
              </div>
              <p className="muted small" data-testid="served-version" data-version={servedVersion ?? ""}>
                {servedVersion !== null
                  ? `The forecast service serves v${servedVersion}${prod !== undefined && servedVersion !== prod ? ` (reloading to v${prod}…)` : ""}.`
                  : served.error
                    ? "The forecast service's loaded models are unavailable."
                    : served.data
                      ? "The forecast service does not serve this model."
                      : "…"}
              </p>
              {busy && <div className="state" role="status">{busy}…</div>}
              {note && <div className="state state-ok" role="status">{note}</div>}
              {err ? <ErrorState error={err} what="The change" /> : null}
              <div className="table-wrap">
                <table className="table" data-testid="versions-table">
                  <caption className="sr-only">Versions of {name}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Version</th>
                      <th scope="col">Aliases</th>
                      <th scope="col">Trained</th>
                      <th scope="col">Data</th>
                      <th scope="col" className="num">MAE</th>
                      <th scope="col" className="num">MAPE</th>
                      <th scope="col" className="num">naive MAPE</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {m.versions.map((v) => (
                      <tr key={v.version} data-version={v.version}>
                        <th scope="row">v{v.version}</th>
                        <td>{v.aliases.map((a) => <span key={a} className={`pill ${a === "production" ? "ok" : ""}`}>{a}</span>)}</td>
                        <td>{fmtTime(v.created)}</td>
                        <td className="small">{v.train_from ? `${fmtDate(v.train_from)} → ${fmtDate(v.train_to)}` : "–"}</td>
                        <td className="num">{fmtMW(v.metrics?.mae)}</td>
                        <td className="num">{fmtPct(v.metrics?.mape, 2)}</td>
                        <td className="num">{fmtPct(v.baseline?.mape, 2)}</td>
                        <td>
                          <div className="actions">
                          {prod !== v.version && (
                            <button type="button" className="btn small primary" disabled={!!busy} onClick={() => void act(`Promote v${v.version} to production`, () => setAlias(name, "production", v.version, "promoted from the dashboard", prod ?? null))} data-testid={`promote-${v.version}`}>
                              Promote
                            </button>
                          )}
                          {m.aliases.staging !== v.version && (
                            <button type="button" className="btn small" disabled={!!busy} onClick={() => void act(`Stage v${v.version}`, () => setAlias(name, "staging", v.version, "staged from the dashboard", m.aliases.staging ?? null))}>
                              Stage
                            </button>
                          )}
                          </div>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <h3 className="sub">Alias history</h3>
              {m.history.length === 0 ? (
                <p className="muted">No alias changes recorded.</p>
              ) : (
                <ol className="history" data-testid="alias-history">
                  {m.history.slice(0, 20).map((h, i) => (
                    <li key={i}>
                      <span className="muted">{fmtTime(h.at)}</span> <strong>{h.alias}</strong> {h.previous != null ? `v${h.previous} → ` : "→ "}
                      {h.version != null ? `v${h.version}` : "removed"}
                      {h.action ? <span className="muted"> — {h.action}</span> : null}
                      {h.actor ? <span className="muted"> by {h.actor}</span> : null}
                    </li>
                  ))}
                </ol>
              )}
            </div>
          );
        }}
      </Async>
    </Panel>
  );
}

/** When each region retrains by itself (trainer GET /v1/schedule): next run, last result. */
function SchedulePanel({ tick }: { tick: number }) {
  const st = useApi<RetrainSchedule[]>((s) => retrainSchedule(s), [], { interval: 15000 });
  useReloadOn(st.reload, tick);
  const rule = (r: RetrainSchedule) =>
    !r.enabled
      ? "off"
      : [r.every_hours > 0 ? `every ${r.every_hours} h` : null, r.after_days > 0 ? `after ${r.after_days} new days` : null].filter(Boolean).join(", ") || "no trigger";
  return (
    <Panel title="Scheduled retraining">
      <Async state={st} what="The retraining schedule" isEmpty={(d) => d.length === 0} empty="No region has demand history yet.">
        {(rs) => (
          <div className="table-wrap">
            <table className="table" data-testid="schedule-table">
              <thead>
                <tr>
                  <th scope="col">Region</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Next run</th>
                  <th scope="col">Last result</th>
                </tr>
              </thead>
              <tbody>
                {rs.map((r) => (
                  <tr key={r.region} data-region={r.region} data-next-run={r.next_run ?? ""} data-promoted={r.last ? String(r.last.promoted) : ""}>
                    <th scope="row">{r.region}</th>
                    <td className="small">{rule(r)}</td>
                    <td className="small" data-testid="schedule-next">
                      {r.running_job ? <span className="pill warn">running</span> : r.due ? `due now (${r.due})` : r.next_run !== null ? fmtTime(r.next_run) : r.enabled && r.after_days > 0 ? "when new data arrives" : "–"}
                    </td>
                    <td className="small" data-testid="schedule-last">
                      {r.last ? (
                        <>
                          <span className={`pill ${r.last.promoted ? "ok" : r.last.state === "succeeded" ? "" : "bad"}`}>{r.last.promoted ? `promoted v${r.last.version ?? "?"}` : r.last.state === "succeeded" ? "kept production" : (r.last.state ?? "?")}</span>{" "}
                          {r.last.at !== null ? <span className="muted">{fmtTime(r.last.at)}</span> : null}
                          {r.last.reason ? <div className="muted">{r.last.reason}</div> : null}
                        </>
                      ) : (
                        <span className="muted">no scheduled run yet</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </Panel>
  );
}

function TrainPanel({ regs, regsError, training, tick }: { regs: RegionInfo[] | undefined; regsError: unknown; training: Training; tick: number }) {
  const recent = useApi((s) => jobs(10, s), [], { interval: 5000 });
  useReloadOn(recent.reload, tick);
  // Only regions with demand history can be trained (others are 422 unknown_region).
  const opts = (regs ?? []).map((r) => r.region).sort();
  const [picked, setPicked] = useState<Set<string> | null>(null);
  const [promote, setPromote] = useState(true);
  const chosen = picked ?? new Set(opts.includes("PJM") ? ["PJM"] : opts.slice(0, 1));
  const targets = opts.filter((r) => chosen.has(r));
  const { watch, err } = training;
  const toggle = (r: string) =>
    setPicked(() => {
      const n = new Set(chosen);
      if (n.has(r)) n.delete(r);
      else n.add(r);
      return n;
    });

  return (
    <Panel title="Training">
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void training.start(targets, promote);
        }}
      >
        <fieldset className="seg region-picks" data-testid="train-regions" disabled={!opts.length}>
          <legend>Regions</legend>
          {opts.map((r) => (
            <label key={r}>
              <input type="checkbox" checked={chosen.has(r)} onChange={() => toggle(r)} value={r} /> {r}
            </label>
          ))}
        </fieldset>
        <label title="Unchecked: the new version is only aliased staging, whatever its backtest">
          <input type="checkbox" checked={promote} onChange={(e) => setPromote(e.target.checked)} /> promote if it beats production
        </label>
        <button type="submit" className="btn primary" disabled={!targets.length || training.running} data-testid="start-training">
          Start training{targets.length > 1 ? ` (${targets.length} regions)` : ""}
        </button>
      </form>
      {regsError ? <ErrorState error={regsError} what="The region list" /> : regs && !opts.length ? <p className="muted">No region has demand history: import demand first.</p> : null}
      {err ? <ErrorState error={err} what="Training" /> : null}
      {watch && (
        <div className="job-watch" data-testid="job-watch" data-job={watch.id} data-status={watch.status} data-version={watch.version ?? ""} data-progress={watch.progress ?? ""}>
          <div>
            Job <code>{watch.id}</code> ({watch.region ?? targets.join(", ")}): <strong>{watch.status}</strong>
            {watch.message && !DONE.test(watch.status) ? ` — ${watch.message}` : ""}
          </div>
          <progress max={1} value={DONE.test(watch.status) ? 1 : (watch.progress ?? undefined)} aria-label="Training progress" />
          <JobResults j={watch} />
          {watch.error && <div className="bad">{watch.error}</div>}
        </div>
      )}
      <h3 className="sub">Recent jobs</h3>
      <Async state={recent} what="Training jobs" isEmpty={(d) => d.length === 0} empty="No training jobs yet.">
        {(js) => (
          <div className="table-wrap">
            <table className="table" data-testid="jobs-table">
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Result per region</th>
                </tr>
              </thead>
              <tbody>
                {js.map((j) => (
                  <tr key={j.id} data-job={j.id}>
                    <td><code className="small">{j.id}</code></td>
                    <td>
                      <span className={`pill ${/fail|error/i.test(j.status) ? "bad" : /partial/i.test(j.status) ? "warn" : /done|succe|finish|complete/i.test(j.status) ? "ok" : "warn"}`}>{j.status}</span>
                    </td>
                    <td>{fmtTime(j.created)}</td>
                    <td>{j.results.length ? <JobResults j={j} compact /> : <span className="muted">{j.region ?? "–"}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </Panel>
  );
}

/** One line per region of a job: version, alias, MAPE, the champion/challenger reason or the error. */
function JobResults({ j, compact }: { j: Job; compact?: boolean }) {
  return (
    <ul className={`job-results${compact ? " compact" : ""}`}>
      {j.results.map((r) => (
        <li key={r.region} className={r.state === "failed" ? "bad" : undefined} data-region={r.region} data-version={r.version ?? ""} data-alias={r.alias ?? ""}>
          <strong>{r.region}</strong>: {r.version != null ? `registered v${r.version}` : r.state}
          {r.alias ? ` (${r.alias})` : ""}
          {r.mape != null ? `, MAPE ${fmtPct(r.mape, 2)}` : ""}
          {r.reason && !compact ? <span className="muted small"> — {r.reason}</span> : null}
          {r.error ? ` — ${r.error}` : ""}
        </li>
      ))}
    </ul>
  );
}
