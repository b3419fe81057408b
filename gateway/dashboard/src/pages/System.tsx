// System: every service's liveness, readiness (with its checks), version and uptime, polled;
// links to the API contract and Prometheus, and where Grafana's dashboards are.
import { useMemo } from "react";
import { ApiError, SERVICES, get, serviceInfo, serviceReady, type Readiness, type Service, type ServiceInfo } from "../api";
import { useApi } from "../hooks";
import { Panel } from "../components/Panel";
import { Async } from "../components/State";
import { fmtAgo, fmtDuration } from "../format";

interface Row {
  svc: Service;
  info: ServiceInfo | null;
  infoError: string | null;
  ready: Readiness;
}

async function loadAll(signal: AbortSignal): Promise<Row[]> {
  return Promise.all(
    SERVICES.map(async (svc) => {
      const [info, ready] = await Promise.all([
        serviceInfo(svc, signal).then(
          (i) => ({ i, e: null as string | null }),
          (e: unknown) => {
            if ((e as Error)?.name === "AbortError") throw e;
            return { i: null, e: e instanceof ApiError ? `${e.status} ${e.code}` : String(e) };
          },
        ),
        serviceReady(svc, signal),
      ]);
      return { svc, info: info.i, infoError: info.e, ready };
    }),
  );
}

interface Endpoint {
  method: string;
  path: string;
  summary: string;
}
/** The OpenAPI contract, converted to JSON at build time when proto/openapi.yaml exists. */
async function loadContract(signal: AbortSignal): Promise<{ title: string; version: string; endpoints: Endpoint[] }> {
  const j = await get<{ info?: { title?: string; version?: string }; paths?: Record<string, Record<string, { summary?: string }>> }>("/openapi.json", signal);
  if (!j || typeof j !== "object" || !j.paths) throw new ApiError(404, "not_found", "no API contract in this build");
  const endpoints: Endpoint[] = [];
  for (const [p, ops] of Object.entries(j.paths))
    for (const [m, op] of Object.entries(ops ?? {}))
      if (/^(get|post|put|delete|patch)$/.test(m)) endpoints.push({ method: m.toUpperCase(), path: p, summary: op?.summary ?? "" });
  return { title: j.info?.title ?? "GridFlow API", version: j.info?.version ?? "", endpoints };
}

export function SystemPage() {
  const st = useApi(loadAll, [], { interval: 10000 });
  const contract = useApi(loadContract, []);
  const host = typeof window !== "undefined" ? window.location.hostname : "127.0.0.1";
  const proto = typeof window !== "undefined" ? window.location.protocol : "http:";
  const readyCount = st.data?.filter((r) => r.ready.ready).length ?? 0;
  const byService = useMemo(() => {
    const m = new Map<string, Endpoint[]>();
    for (const e of contract.data?.endpoints ?? []) {
      const s = e.path.split("/")[2] ?? "";
      m.set(s, [...(m.get(s) ?? []), e]);
    }
    return m;
  }, [contract.data]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>System</h1>
        <p className="muted">
          {st.data ? `${readyCount} of ${SERVICES.length} services ready` : "Checking services…"} {st.updated ? `· checked ${fmtAgo(st.updated)}` : ""}
        </p>
      </div>
      <Panel title="Services" actions={<button type="button" className="btn small" onClick={st.reload}>Refresh</button>}>
        <Async state={st} what="Service status">
          {(rows) => (
            <div className="table-wrap">
              <table className="table" data-testid="services-table">
                <thead>
                  <tr>
                    <th scope="col">Service</th>
                    <th scope="col">Ready</th>
                    <th scope="col">Checks</th>
                    <th scope="col">Version</th>
                    <th scope="col">Revision</th>
                    <th scope="col">Uptime</th>
                    <th scope="col">Metrics</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.svc} data-service={r.svc} data-ready={r.ready.ready ? "true" : "false"}>
                      <th scope="row">{r.svc}</th>
                      <td>
                        <span className={`pill ${r.ready.ready ? "ok" : "bad"}`}>{r.ready.ready ? "ready" : "not ready"}</span>
                      </td>
                      <td className="checks">
                        {r.ready.checks.length
                          ? r.ready.checks.map((c) => (
                              <span key={c.name} className={`check ${c.ok ? "ok" : "bad"}`} title={c.message ?? undefined}>
                                {c.ok ? "✓" : "✗"} {c.name}
                              </span>
                            ))
                          : (r.ready.error ?? "–")}
                      </td>
                      <td data-testid={`version-${r.svc}`}>{r.info?.version ?? r.infoError ?? "–"}</td>
                      <td><code>{r.info?.git_rev ?? "–"}</code></td>
                      <td>{fmtDuration(r.info?.uptime_seconds)}</td>
                      <td>
                        <a href={`/api/${r.svc}/metrics`} target="_blank" rel="noreferrer">
                          /metrics
                        </a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
      </Panel>
      <div className="grid-2">
        <Panel title="Links">
          <ul className="links">
            <li>
              <a href="/openapi.yaml" target="_blank" rel="noreferrer">API contract (OpenAPI 3, YAML)</a> — every route, request and response
            </li>
            <li>
              <a href={`${proto}//${host}:9090/`} target="_blank" rel="noreferrer">Prometheus</a> — scrapes every service's /metrics (port 9090 when running)
            </li>
            <li data-testid="grafana-note">
              Grafana is not started by <code>make up</code> (Debian 12 does not package it): <code>docker compose up</code> runs it with the
              shipped dashboards (<code>deploy/grafana/</code>, port 3000), or import them into a Grafana of your own.
            </li>
            <li>
              <a href="/api/healthz" target="_blank" rel="noreferrer">Gateway health</a>
            </li>
          </ul>
        </Panel>
        <Panel title="API routes">
          <Async state={contract} what="The API contract" empty="The contract lists no routes.">
            {(c) => (
              <div className="routes">
                <p className="muted">
                  {c.title} {c.version} — {c.endpoints.length} operations, through the gateway at <code>/api/&lt;service&gt;/…</code>
                </p>
                {[...byService.entries()].map(([svc, eps]) => (
                  <details key={svc}>
                    <summary>
                      {svc || "other"} <span className="muted">({eps.length})</span>
                    </summary>
                    <ul className="endpoint-list">
                      {eps.map((e) => (
                        <li key={e.method + e.path}>
                          <span className={`method m-${e.method.toLowerCase()}`}>{e.method}</span> <code>{e.path}</code> <span className="muted">{e.summary}</span>
                        </li>
                      ))}
                    </ul>
                  </details>
                ))}
              </div>
            )}
          </Async>
        </Panel>
      </div>
    </div>
  );
}
