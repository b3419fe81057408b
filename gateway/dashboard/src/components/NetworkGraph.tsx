// The network drawn as a graph: buses are nodes, branches are edges. d3-force lays it out
// (MATPOWER cases carry no coordinates); the layout depends only on the topology, so it is
// computed once per case and kept while results change colours. Branches are coloured by
// loading (and thicker when loaded), buses by voltage magnitude or LMP.
import { useMemo, useState } from "react";
import { forceCenter, forceLink, forceManyBody, forceSimulation, forceX, forceY, type SimulationNodeDatum } from "d3-force";
import { LOADING_BINS, OKABE, VIRIDIS, VOLT_STOPS, gradientCss, loadingColor, viridis, voltageColor } from "../colors";
import type { BranchResult, BusResult, GenResult } from "../api";
import { fmtNum } from "../format";

interface Node extends SimulationNodeDatum {
  id: number;
}

export type BusColouring = "voltage" | "lmp";

export function layoutNetwork(busIds: number[], edges: [number, number][]): Map<number, { x: number; y: number }> {
  const nodes: Node[] = busIds.map((id, i) => {
    // Deterministic start on a spiral: the same case always gets the same picture.
    const a = i * 2.399963;
    const r = 10 * Math.sqrt(i + 1);
    return { id, x: r * Math.cos(a), y: r * Math.sin(a) };
  });
  const known = new Set(busIds);
  const links = edges.filter(([a, b]) => known.has(a) && known.has(b) && a !== b).map(([source, target]) => ({ source, target }));
  const n = nodes.length;
  const sim = forceSimulation(nodes)
    .force("link", forceLink<Node, { source: number; target: number }>(links).id((d) => d.id).distance(n > 500 ? 12 : 28).strength(0.9))
    .force("charge", forceManyBody().strength(n > 500 ? -18 : -70).distanceMax(n > 500 ? 120 : 400))
    .force("x", forceX(0).strength(0.03))
    .force("y", forceY(0).strength(0.03))
    .force("center", forceCenter(0, 0))
    .stop();
  const ticks = n > 1500 ? 80 : n > 500 ? 150 : 300;
  for (let i = 0; i < ticks; i++) sim.tick();
  const out = new Map<number, { x: number; y: number }>();
  for (const nd of nodes) out.set(nd.id, { x: nd.x ?? 0, y: nd.y ?? 0 });
  return out;
}

export function NetworkGraph({
  bus,
  branch,
  gen,
  colouring,
  outages,
  onToggleBranch,
}: {
  bus: BusResult[];
  branch: BranchResult[];
  gen?: GenResult[];
  colouring: BusColouring;
  outages?: Set<number>;
  onToggleBranch?: (index: number) => void;
}) {
  const topoKey = useMemo(() => bus.map((b) => b.id).join(",") + "|" + branch.map((b) => `${b.fbus}-${b.tbus}`).join(","), [bus, branch]);
  const pos = useMemo(
    () => layoutNetwork(bus.map((b) => b.id), branch.map((b) => [b.fbus, b.tbus])),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [topoKey],
  );
  const [hover, setHover] = useState<string | null>(null);
  const bounds = useMemo(() => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const p of pos.values()) {
      x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y); x1 = Math.max(x1, p.x); y1 = Math.max(y1, p.y);
    }
    if (!Number.isFinite(x0)) return { x0: -50, y0: -50, w: 100, h: 100 };
    const pad = 20;
    return { x0: x0 - pad, y0: y0 - pad, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad };
  }, [pos]);
  const lmps = bus.map((b) => b.lmp).filter((v): v is number => v !== null);
  const lo = lmps.length ? Math.min(...lmps) : 0;
  const hi = lmps.length ? Math.max(...lmps) : 1;
  const genBuses = new Set((gen ?? []).filter((g) => g.in_service).map((g) => g.bus));
  const scale = Math.max(bounds.w, bounds.h) / 600; // keep strokes readable on big cases
  const r = Math.max(2.5, 5 * scale);
  const overloaded = branch.filter((b) => (b.loading_percent ?? 0) >= 100).length;

  return (
    <div className="network">
      <svg
        viewBox={`${bounds.x0} ${bounds.y0} ${bounds.w} ${bounds.h}`}
        role="img"
        aria-label={`Network graph: ${bus.length} buses, ${branch.length} branches, ${overloaded} at or above their limit; buses coloured by ${colouring === "lmp" ? "LMP" : "voltage"}`}
        data-testid="network-graph"
        data-branches={branch.length}
        data-buses={bus.length}
        preserveAspectRatio="xMidYMid meet"
      >
        <g>
          {branch.map((b) => {
            const a = pos.get(b.fbus);
            const c = pos.get(b.tbus);
            if (!a || !c) return null;
            const out = !b.in_service || outages?.has(b.index);
            const pct = b.loading_percent;
            const color = out ? OKABE.grey : loadingColor(pct);
            const w = (out ? 1 : 1.2 + Math.min(3, (pct ?? 0) / 40)) * scale;
            const label = `Branch ${b.index + 1}: bus ${b.fbus} → ${b.tbus}, ${out ? "out of service" : `loading ${fmtNum(pct, 1)} %, ${fmtNum(b.pf_mw, 1)} MW`}`;
            return (
              <line
                key={`br${b.index}`}
                className={`branch${onToggleBranch ? " clickable" : ""}`}
                x1={a.x}
                y1={a.y}
                x2={c.x}
                y2={c.y}
                stroke={color}
                strokeWidth={w}
                strokeDasharray={out ? `${3 * scale} ${3 * scale}` : undefined}
                data-loading={pct ?? ""}
                data-color={color}
                onMouseEnter={() => setHover(label)}
                onMouseLeave={() => setHover(null)}
                onClick={onToggleBranch ? () => onToggleBranch(b.index) : undefined}
              >
                <title>{label}</title>
              </line>
            );
          })}
        </g>
        <g>
          {bus.map((b) => {
            const p = pos.get(b.id);
            if (!p) return null;
            const fill = colouring === "lmp" ? viridis(b.lmp, lo, hi) : voltageColor(b.vm_pu);
            const label = `Bus ${b.id}: ${fmtNum(b.vm_pu, 3)} pu, LMP ${fmtNum(b.lmp, 2)} $/MWh, load ${fmtNum(b.pd_mw, 1)} MW${genBuses.has(b.id) ? ", generator" : ""}`;
            return (
              <g key={`b${b.id}`} onMouseEnter={() => setHover(label)} onMouseLeave={() => setHover(null)}>
                {genBuses.has(b.id) ? (
                  <rect x={p.x - r * 1.1} y={p.y - r * 1.1} width={r * 2.2} height={r * 2.2} fill={fill} stroke="#0b1118" strokeWidth={0.8 * scale} className="bus" data-color={fill} />
                ) : (
                  <circle cx={p.x} cy={p.y} r={r} fill={fill} stroke="#0b1118" strokeWidth={0.8 * scale} className="bus" data-color={fill} />
                )}
                <title>{label}</title>
              </g>
            );
          })}
        </g>
      </svg>
      <div className="network-hover" aria-live="polite">{hover ?? "Point at a bus or branch for its values; squares are generator buses."}</div>
      <div className="legend" aria-label="Legend">
        <div className="legend-row">
          <span className="legend-title">Branch loading</span>
          {LOADING_BINS.map((b) => (
            <span key={b.label} className="legend-item">
              <span className="swatch line" style={{ background: b.color }} /> {b.label}
            </span>
          ))}
          <span className="legend-item">
            <span className="swatch line dashed" /> out of service
          </span>
        </div>
        <div className="legend-row">
          <span className="legend-title">{colouring === "lmp" ? "Bus LMP ($/MWh)" : "Bus voltage (pu)"}</span>
          <span>{colouring === "lmp" ? fmtNum(lo, 2) : "0.94"}</span>
          <span className="swatch ramp" style={{ background: gradientCss(colouring === "lmp" ? VIRIDIS : VOLT_STOPS) }} />
          <span>{colouring === "lmp" ? fmtNum(hi, 2) : "1.06"}</span>
        </div>
      </div>
    </div>
  );
}
