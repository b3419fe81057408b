// Models: the registry per region (versions with metrics, aliases, promotion history), with
// promote / roll back (API key), and training jobs started here and watched to the end.
import { useEffect, useState } from "react";
import { jobs, job, loadedModels, model, models, regions, rollbackAlias, setAlias, startTraining, type Job, type Model } from "../api";
import { useApi } from "../hooks";
import { useWithKey } from "../components/ApiKey";
import { Panel } from "../components/Panel";
import { Async, ErrorState } from "../components/State";
import { fmtDate, fmtMW, fmtPct, fmtTime } from "../format";

export function ModelsPage() {
  const list = useApi(models, [], { interval: 15000 });
  const [sel, setSel] = useState<string | null>(null);
  const names = list.data?.map((m) => m.name) ?? [];
  const current = sel && names.includes(sel) ? sel : (names[0] ?? null);
  // Keep the shown model when the list changes (a newly trained model sorts before it).
  useEffect(() => {
    if (!sel && current) setSel(current);
  }, [sel, current]);

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
                {ms.map((m) => (
                  <li key={m.name}>
                    <button
                      type="button"
                      role="option"
                      aria-selected={m.name === current}
                      className={m.name === current ? "selected" : ""}
                      onClick={() => setSel(m.name)}
                      data-model={m.name}
                    >
                      <span className="model-name">{m.name}</span>
                      <span className="muted small">
                        {m.aliases.production !== undefined ? `prod v${m.aliases.production}` : "no production"} · {m.n_versions} version{m.n_versions === 1 ? "" : "s"}{m.latest !== null ? `, latest v${m.latest}` : ""}
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </Async>
        </Panel>
        <div className="stack">
          {current ? <ModelDetail name={current} onChanged={list.reload} /> : null}
          <TrainPanel onDone={list.reload} />
        </div>
      </div>
    </div>
  );
}

function ModelDetail({ name, onChanged }: { name: string; onChanged: () => void }) {
  const st = useApi<Model>((s) => model(name, s), [name]);
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
          const prevProd = m.history.find((h) => h.alias === "production" && h.version === prod)?.previous ?? null;
          return (
            <div data-testid="model-detail" data-production={prod ?? ""}>
              <div className="alias-row">
                {Object.keys(m.aliases).length === 0 && <span className="muted">No aliases set.</span>}
                {Object.entries(m.aliases).map(([a, v]) => (
                  <span key={a} className={`pill ${a === "production" ? "ok" : ""}`} data-testid={`alias-${a}`}>
                    {a} → v{v}
                  </span>
                ))}
                {prod !== undefined && (
                  <button
                    type="button"
                    className="btn small"
                    disabled={!!busy}
                    onClick={() => {
                      if (window.confirm(`Roll production of ${name} back${prevProd ? ` to v${prevProd}` : " to its previous version"}?`))
                        void act("Roll back", () => rollbackAlias(name, "production", "rolled back from the dashboard"));
                    }}
                  >
                    Roll back production{prevProd ? ` (to v${prevProd})` : ""}
                  </button>
                )}
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

const DONE = /^(done|succeeded|success|finished|completed|partial|failed|error|cancelled|canceled)$/i;

function TrainPanel({ onDone }: { onDone: () => void }) {
  const recent = useApi((s) => jobs(10, s), [], { interval: 5000 });
  // Only regions with demand history can be trained (others are 422 unknown_region).
  const regs = useApi(regions, []);
  const withKey = useWithKey();
  const [region, setRegion] = useState("");
  const [promote, setPromote] = useState(true);
  const [watch, setWatch] = useState<Job | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const opts = (regs.data ?? []).map((r) => r.region).sort();
  const target = region || (opts.includes("PJM") ? "PJM" : opts[0]) || "";

  useEffect(() => {
    if (!watch || DONE.test(watch.status)) return;
    const t = setTimeout(async () => {
      try {
        const j = await job(watch.id);
        setWatch(j);
        if (DONE.test(j.status)) {
          onDone();
          recent.reload();
        }
      } catch (e) {
        setErr(e);
      }
    }, 1000);
    return () => clearTimeout(t);
  }, [watch, onDone, recent]);

  const start = async () => {
    setErr(null);
    try {
      const j = await withKey(() => startTraining([target], { promote }), "start a training job");
      setWatch(j);
      recent.reload();
    } catch (e) {
      setErr(e);
    }
  };

  return (
    <Panel title="Training">
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <label>
          Region{" "}
          <select value={target} onChange={(e) => setRegion(e.target.value)} disabled={!opts.length} data-testid="train-region">
            {opts.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label title="Unchecked: the new version is only aliased staging, whatever its backtest">
          <input type="checkbox" checked={promote} onChange={(e) => setPromote(e.target.checked)} /> promote if it beats production
        </label>
        <button type="submit" className="btn primary" disabled={!target || (!!watch && !DONE.test(watch.status))} data-testid="start-training">
          Start training
        </button>
      </form>
      {regs.error ? <ErrorState error={regs.error} what="The region list" /> : regs.data && !opts.length ? <p className="muted">No region has demand history: import demand first.</p> : null}
      {err ? <ErrorState error={err} what="Training" /> : null}
      {watch && (
        <div className="job-watch" data-testid="job-watch" data-job={watch.id} data-status={watch.status} data-version={watch.version ?? ""} data-progress={watch.progress ?? ""}>
          <div>
            Job <code>{watch.id}</code> ({watch.region ?? target}): <strong>{watch.status}</strong>
            {watch.message && !DONE.test(watch.status) ? ` — ${watch.message}` : ""}
          </div>
          <progress max={1} value={DONE.test(watch.status) ? 1 : (watch.progress ?? undefined)} aria-label="Training progress" />
          {watch.results.map((r) => (
            <div key={r.region} className={r.state === "failed" ? "bad" : undefined}>
              {r.region}: {r.version != null ? `registered v${r.version}` : r.state}
              {r.alias ? ` (${r.alias})` : ""}
              {r.mape != null ? `, MAPE ${fmtPct(r.mape, 2)}` : ""}
              {r.reason ? <span className="muted small"> — {r.reason}</span> : null}
              {r.error ? ` — ${r.error}` : ""}
            </div>
          ))}
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
                  <th scope="col">Region</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Version</th>
                  <th scope="col" className="num">MAPE</th>
                </tr>
              </thead>
              <tbody>
                {js.map((j) => (
                  <tr key={j.id}>
                    <td><code className="small">{j.id}</code></td>
                    <td>{j.region ?? "–"}</td>
                    <td>
                      <span className={`pill ${/fail|error/i.test(j.status) ? "bad" : /done|succe|finish|complete/i.test(j.status) ? "ok" : "warn"}`}>{j.status}</span>
                    </td>
                    <td>{fmtTime(j.created)}</td>
                    <td>{j.version != null ? `v${j.version}` : "–"}</td>
                    <td className="num">{fmtPct(j.metrics?.mape, 2)}</td>
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
