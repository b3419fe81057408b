// The network drawn on a canvas: buses are dots (squares where a generator connects), branches
// are lines coloured and widened by loading (dashed grey when out of service); buses are
// coloured by voltage magnitude or LMP. Canvas rather than SVG so 10,000 buses and 13,000
// branches draw in a few milliseconds. Positions come from the multilevel layout in a Web
// Worker (layoutClient.ts), once per topology; results only change colours.
//
// Wheel or +/− zooms (around the pointer), dragging pans, "Fit" shows everything; a click on a
// bus selects it, a click on a branch toggles its outage; "Find bus" selects a bus by number
// and centres it. Test hooks on the wrapper: data-state (layout|ready), data-buses,
// data-branches, data-layout-ms, data-draw-ms, data-selected-bus, and data-probe: where (canvas
// CSS pixels) and in which colour the selected bus and the most loaded branch were drawn.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { LOADING_BINS, OKABE, VIRIDIS, VOLT_STOPS, gradientCss, loadingColor, viridis, voltageColor } from "../colors";
import type { BranchResult, BusResult } from "../api";
import { layoutTopology } from "../layoutClient";
import type { Topology } from "../network";
import { fmtNum } from "../format";

export type BusColouring = "voltage" | "lmp";

interface View {
  s: number; // CSS px per layout unit
  tx: number;
  ty: number;
}

const BG = "#0b1118";
const SELECT = "#f0e442";

export function NetworkCanvas({
  topo,
  bus,
  branch,
  colouring,
  outages,
  onToggleBranch,
  selected,
  onSelect,
}: {
  topo: Topology;
  bus: BusResult[];
  branch: BranchResult[];
  colouring: BusColouring;
  outages?: Set<number>;
  onToggleBranch?: (index: number) => void;
  selected: number | null; // bus id
  onSelect: (id: number | null) => void;
}) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [pos, setPos] = useState<Float32Array | null>(null);
  const [progress, setProgress] = useState<string>("");
  const [layoutMs, setLayoutMs] = useState<number | null>(null);
  const [layoutErr, setLayoutErr] = useState<string | null>(null);
  const [size, setSize] = useState({ w: 800, h: 560 });
  const [view, setView] = useState<View | null>(null);
  const [hover, setHover] = useState<string | null>(null);
  const [find, setFind] = useState("");
  const [findMsg, setFindMsg] = useState<string | null>(null);
  const n = topo.ids.length;

  // Layout once per topology (cached across visits by layoutClient).
  useEffect(() => {
    let live = true;
    setPos(null);
    setView(null);
    setLayoutErr(null);
    const t0 = performance.now();
    setProgress(`Laying out ${fmtNum(n)} buses…`);
    layoutTopology(n, topo.edges, (p) => live && setProgress(`Laying out ${fmtNum(n)} buses… level ${p.level} of ${p.levels}`))
      .then((r) => {
        if (!live) return;
        setPos(r.pos);
        setLayoutMs(r.cached ? 0 : Math.round(performance.now() - t0));
      })
      .catch((e) => live && setLayoutErr(String((e as Error)?.message ?? e)));
    return () => {
      live = false;
    };
  }, [topo, n]);

  // The canvas follows its box's width.
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const fit = () => {
      const w = Math.max(280, Math.floor(el.clientWidth));
      const h = Math.round(Math.min(640, Math.max(320, w * 0.7)));
      setSize((s) => (s.w === w && s.h === h ? s : { w, h }));
    };
    fit();
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(fit) : null;
    ro?.observe(el);
    return () => ro?.disconnect();
  }, []);

  const bounds = useMemo(() => {
    if (!pos) return null;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = pos[2 * i], y = pos[2 * i + 1];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    if (!Number.isFinite(x0)) return { x0: -1, y0: -1, x1: 1, y1: 1 };
    return { x0, y0, x1, y1 };
  }, [pos, n]);

  const fitView = useCallback((): View | null => {
    if (!bounds) return null;
    const pad = 16;
    const w = Math.max(1e-9, bounds.x1 - bounds.x0), h = Math.max(1e-9, bounds.y1 - bounds.y0);
    const s = Math.min((size.w - 2 * pad) / w, (size.h - 2 * pad) / h);
    return { s, tx: (size.w - s * (bounds.x0 + bounds.x1)) / 2, ty: (size.h - s * (bounds.y0 + bounds.y1)) / 2 };
  }, [bounds, size]);
  const fitScale = fitView()?.s ?? 1;
  useEffect(() => {
    if (pos && !view) setView(fitView());
  }, [pos, view, fitView]);

  // Colours of this result.
  const colours = useMemo(() => {
    const lmps = bus.map((b) => b.lmp).filter((v): v is number => v !== null);
    const lo = lmps.length ? Math.min(...lmps) : 0;
    const hi = lmps.length ? Math.max(...lmps) : 1;
    // Quantised, so buses of (nearly) one colour draw in one path.
    const busFill = bus.map((b) =>
      colouring === "lmp"
        ? viridis(b.lmp === null ? null : lo + Math.round(((b.lmp - lo) / Math.max(1e-9, hi - lo)) * 48) / 48 * (hi - lo), lo, hi)
        : voltageColor(b.vm_pu === null ? null : Math.round(b.vm_pu * 400) / 400),
    );
    let worst = -1;
    branch.forEach((b, i) => {
      if (b.in_service && !outages?.has(b.index) && (worst < 0 || (b.loading_percent ?? -1) > (branch[worst].loading_percent ?? -1))) worst = i;
    });
    return { busFill, lo, hi, worst };
  }, [bus, branch, colouring, outages]);

  const busIndexOf = (id: number | null) => (id === null ? -1 : (topo.index.get(id) ?? -1));
  const selIdx = busIndexOf(selected);

  // Draw.
  const [drawMs, setDrawMs] = useState<number | null>(null);
  const [probe, setProbe] = useState<string>("");
  useEffect(() => {
    const c = canvas.current;
    if (!c || !pos || !view) return;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(size.w * dpr);
    c.height = Math.round(size.h * dpr);
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = BG;
    ctx.fillRect(0, 0, size.w, size.h);
    const X = (i: number) => pos[2 * i] * view.s + view.tx;
    const Y = (i: number) => pos[2 * i + 1] * view.s + view.ty;
    const zoom = view.s / fitScale;
    const baseW = Math.min(1.6, Math.max(0.6, (n > 2000 ? 0.7 : 1.2) * Math.sqrt(zoom)));
    const inView = (x: number, y: number) => x > -50 && y > -50 && x < size.w + 50 && y < size.h + 50;
    // Branches, grouped by colour and width.
    const groups = new Map<string, number[]>();
    const drawnColours = new Set<string>();
    branch.forEach((b, i) => {
      const a = topo.edges[2 * i], z = topo.edges[2 * i + 1];
      if (a < 0 || z < 0) return;
      if (!inView(X(a), Y(a)) && !inView(X(z), Y(z))) return;
      const out = !b.in_service || !!outages?.has(b.index);
      const col = out ? OKABE.grey : loadingColor(b.loading_percent);
      const w = out ? baseW : baseW * (1 + Math.min(3, Math.max(0, b.loading_percent ?? 0) / 40));
      const key = `${col}|${w.toFixed(2)}|${out ? 1 : 0}`;
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
      drawnColours.add(col);
    });
    ctx.lineCap = "round";
    // Light first, so loaded branches are drawn on top.
    const order = [...groups.keys()].sort((p, q) => Number(p.split("|")[1]) - Number(q.split("|")[1]));
    for (const key of order) {
      const [col, w, out] = key.split("|");
      ctx.strokeStyle = col;
      ctx.lineWidth = Number(w);
      ctx.setLineDash(out === "1" ? [3, 3] : []);
      ctx.beginPath();
      for (const i of groups.get(key)!) {
        const a = topo.edges[2 * i], z = topo.edges[2 * i + 1];
        ctx.moveTo(X(a), Y(a));
        ctx.lineTo(X(z), Y(z));
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
    // Buses, grouped by fill.
    const r = Math.min(7, n > 2000 ? Math.max(1, Math.sqrt(zoom)) : Math.max(n > 200 ? 2.5 : 4.5, (n > 200 ? 4 : 5) * Math.sqrt(zoom)));
    const fills = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      if (!inView(X(i), Y(i))) continue;
      const f = colours.busFill[i] ?? OKABE.grey;
      const g = fills.get(f);
      if (g) g.push(i);
      else fills.set(f, [i]);
    }
    for (const [f, list] of fills) {
      ctx.fillStyle = f;
      ctx.beginPath();
      for (const i of list) {
        const x = X(i), y = Y(i);
        if (topo.genBus[i]) ctx.rect(x - r * 1.1, y - r * 1.1, r * 2.2, r * 2.2);
        else {
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, 2 * Math.PI);
        }
      }
      ctx.fill();
    }
    // The selected bus: a ring around it, and its colour drawn again on top.
    const pr: Record<string, unknown> = {};
    if (selIdx >= 0) {
      const x = X(selIdx), y = Y(selIdx);
      ctx.strokeStyle = SELECT;
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(x, y, r + 7, 0, 2 * Math.PI);
      ctx.stroke();
      const rr = Math.max(r, 4);
      ctx.fillStyle = colours.busFill[selIdx] ?? OKABE.grey;
      ctx.beginPath();
      ctx.arc(x, y, rr, 0, 2 * Math.PI);
      ctx.fill();
      pr.bus = { id: topo.ids[selIdx], x: Math.round(x), y: Math.round(y), color: colours.busFill[selIdx], ring: r + 7 };
    }
    const wb = colours.worst;
    if (wb >= 0 && topo.edges[2 * wb] >= 0 && topo.edges[2 * wb + 1] >= 0) {
      const a = topo.edges[2 * wb], z = topo.edges[2 * wb + 1];
      pr.branch = { index: branch[wb].index, x: Math.round((X(a) + X(z)) / 2), y: Math.round((Y(a) + Y(z)) / 2), color: loadingColor(branch[wb].loading_percent) };
    }
    pr.branchColours = [...drawnColours];
    pr.busColours = fills.size;
    setProbe(JSON.stringify(pr));
    setDrawMs(Math.round((performance.now() - t0) * 10) / 10);
  }, [pos, view, size, branch, colours, outages, topo, n, selIdx, fitScale]);

  // Centre the selected bus (search or click) when it is off screen or the view is far out.
  const centre = useCallback(
    (i: number) => {
      if (!pos) return;
      setView((v) => {
        const s = Math.max(v?.s ?? fitScale, fitScale * (n > 2000 ? 12 : 2));
        return { s, tx: size.w / 2 - pos[2 * i] * s, ty: size.h / 2 - pos[2 * i + 1] * s };
      });
    },
    [pos, size, fitScale, n],
  );

  // Hit testing, in CSS pixels of the canvas.
  const hit = useCallback(
    (px: number, py: number): { bus: number } | { branch: number } | null => {
      if (!pos || !view) return null;
      let best = -1, bd = 8 * 8;
      for (let i = 0; i < n; i++) {
        const dx = pos[2 * i] * view.s + view.tx - px, dy = pos[2 * i + 1] * view.s + view.ty - py;
        const d = dx * dx + dy * dy;
        if (d < bd) (bd = d), (best = i);
      }
      if (best >= 0) return { bus: best };
      let bb = -1, bdist = 5;
      for (let k = 0; k < branch.length; k++) {
        const a = topo.edges[2 * k], z = topo.edges[2 * k + 1];
        if (a < 0 || z < 0) continue;
        const ax = pos[2 * a] * view.s + view.tx, ay = pos[2 * a + 1] * view.s + view.ty;
        const zx = pos[2 * z] * view.s + view.tx, zy = pos[2 * z + 1] * view.s + view.ty;
        const vx = zx - ax, vy = zy - ay;
        const L = vx * vx + vy * vy;
        const t = L > 0 ? Math.max(0, Math.min(1, ((px - ax) * vx + (py - ay) * vy) / L)) : 0;
        const d = Math.hypot(ax + t * vx - px, ay + t * vy - py);
        if (d < bdist) (bdist = d), (bb = k);
      }
      return bb >= 0 ? { branch: bb } : null;
    },
    [pos, view, n, branch, topo],
  );

  const describe = (h: { bus: number } | { branch: number } | null): string | null => {
    if (!h) return null;
    if ("bus" in h) {
      const b = bus[h.bus];
      return `Bus ${topo.ids[h.bus]}: ${fmtNum(b?.vm_pu, 3)} pu, LMP ${fmtNum(b?.lmp, 2)} $/MWh, load ${fmtNum(b?.pd_mw, 1)} MW${topo.genBus[h.bus] ? ", generator" : ""}`;
    }
    const b = branch[h.branch];
    const out = !b.in_service || outages?.has(b.index);
    return `Branch ${b.index + 1}: bus ${b.fbus} → ${b.tbus}, ${out ? "out of service" : `loading ${fmtNum(b.loading_percent, 1)} %, ${fmtNum(b.pf_mw, 1)} MW`}${onToggleBranch ? " (click to toggle its outage)" : ""}`;
  };

  // Wheel zoom (a non-passive listener, so the page does not scroll), drag to pan.
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = c.getBoundingClientRect();
      zoomAt(e.clientX - rect.left, e.clientY - rect.top, Math.exp(-e.deltaY * 0.0015));
    };
    c.addEventListener("wheel", onWheel, { passive: false });
    return () => c.removeEventListener("wheel", onWheel);
  });
  const zoomAt = (px: number, py: number, f: number) =>
    setView((v) => {
      if (!v) return v;
      const s = Math.min(fitScale * 400, Math.max(fitScale * 0.5, v.s * f));
      const k = s / v.s;
      return { s, tx: px - (px - v.tx) * k, ty: py - (py - v.ty) * k };
    });
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);

  const doFind = (e: React.FormEvent) => {
    e.preventDefault();
    const id = Number(find.trim());
    const i = Number.isInteger(id) ? busIndexOf(id) : -1;
    if (i < 0) {
      setFindMsg(`No bus ${find.trim()} in this case.`);
      return;
    }
    setFindMsg(null);
    onSelect(id);
    centre(i);
  };

  const state = layoutErr ? "error" : pos && view ? "ready" : "layout";
  return (
    <div className="network">
      <div className="network-tools">
        <form className="find-bus" onSubmit={doFind} role="search">
          <label>
            Find bus{" "}
            <input type="text" inputMode="numeric" value={find} onChange={(e) => setFind(e.target.value)} placeholder="number" className="num-input" data-testid="find-bus" aria-describedby="find-msg" />
          </label>
          <button type="submit" className="btn small">Find</button>
          {findMsg && <span id="find-msg" className="bad small" role="alert">{findMsg}</span>}
        </form>
        <div className="zoom-btns">
          <button type="button" className="btn small" aria-label="Zoom in" onClick={() => zoomAt(size.w / 2, size.h / 2, 1.6)}>+</button>
          <button type="button" className="btn small" aria-label="Zoom out" onClick={() => zoomAt(size.w / 2, size.h / 2, 1 / 1.6)}>−</button>
          <button type="button" className="btn small" onClick={() => setView(fitView())} data-testid="zoom-fit">Fit</button>
        </div>
      </div>
      <div
        ref={wrap}
        className="network-canvas"
        data-testid="network-graph"
        data-state={state}
        data-buses={n}
        data-branches={branch.length}
        data-layout-ms={layoutMs ?? ""}
        data-draw-ms={drawMs ?? ""}
        data-selected-bus={selected ?? ""}
        data-colouring={colouring}
        data-probe={probe}
      >
        <canvas
          ref={canvas}
          style={{ width: size.w, height: size.h }}
          tabIndex={0}
          role="img"
          aria-label={`Network: ${fmtNum(n)} buses, ${fmtNum(branch.length)} branches, coloured by loading (branches) and ${colouring === "lmp" ? "LMP" : "voltage"} (buses). Arrow keys pan, + and − zoom.`}
          onPointerDown={(e) => {
            drag.current = { x: e.clientX, y: e.clientY, moved: false };
            (e.target as Element).setPointerCapture?.(e.pointerId);
          }}
          onPointerMove={(e) => {
            const d = drag.current;
            const rect = e.currentTarget.getBoundingClientRect();
            if (d) {
              const dx = e.clientX - d.x, dy = e.clientY - d.y;
              if (d.moved || Math.abs(dx) + Math.abs(dy) > 3) {
                d.moved = true;
                d.x = e.clientX;
                d.y = e.clientY;
                setView((v) => (v ? { ...v, tx: v.tx + dx, ty: v.ty + dy } : v));
              }
              return;
            }
            setHover(describe(hit(e.clientX - rect.left, e.clientY - rect.top)));
          }}
          onPointerUp={(e) => {
            const d = drag.current;
            drag.current = null;
            if (!d || d.moved) return;
            const rect = e.currentTarget.getBoundingClientRect();
            const h = hit(e.clientX - rect.left, e.clientY - rect.top);
            if (h && "bus" in h) onSelect(topo.ids[h.bus]);
            else if (h && "branch" in h && onToggleBranch) onToggleBranch(branch[h.branch].index);
          }}
          onPointerLeave={() => setHover(null)}
          onKeyDown={(e) => {
            const step = 40;
            const pan: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
            if (pan[e.key]) {
              e.preventDefault();
              setView((v) => (v ? { ...v, tx: v.tx + pan[e.key][0], ty: v.ty + pan[e.key][1] } : v));
            } else if (e.key === "+" || e.key === "=") zoomAt(size.w / 2, size.h / 2, 1.4);
            else if (e.key === "-") zoomAt(size.w / 2, size.h / 2, 1 / 1.4);
          }}
        />
        {state !== "ready" && (
          <div className="network-overlay" role="status">
            {layoutErr ? `The layout failed: ${layoutErr}` : progress}
          </div>
        )}
      </div>
      <div className="network-hover" aria-live="polite">
        {hover ?? "Point at a bus or branch for its values; squares are generator buses. Wheel or +/− to zoom, drag to pan."}
        {layoutMs ? <span className="muted small"> · layout {fmtNum(layoutMs)} ms</span> : null}
      </div>
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
          <span>{colouring === "lmp" ? fmtNum(colours.lo, 2) : "0.94"}</span>
          <span className="swatch ramp" style={{ background: gradientCss(colouring === "lmp" ? VIRIDIS : VOLT_STOPS) }} />
          <span>{colouring === "lmp" ? fmtNum(colours.hi, 2) : "1.06"}</span>
          <span className="legend-item">
            <span className="swatch ring" style={{ borderColor: SELECT }} /> selected bus
          </span>
        </div>
      </div>
    </div>
  );
}
