// Network layout for MATPOWER cases, which carry no coordinates: a multilevel force-directed
// layout (Walshaw's scheme). The graph is coarsened by matching neighbours until a few dozen
// nodes are left, the coarsest graph is laid out with Fruchterman-Reingold, and each finer
// level starts from its parent's position and is refined with a few force iterations whose
// repulsion only looks at nearby nodes (a grid of cells). Linear in the size of the graph per
// iteration: a 10,000-bus case takes well under a second, and it runs in a Web Worker
// (layout.worker.ts) so the page never freezes. Deterministic: the same topology always gets
// the same picture.

export interface LayoutProgress {
  level: number;
  levels: number;
}

/** Positions (x0, y0, x1, y1, …) of n nodes joined by edges (pairs of node indexes). */
export function layoutGraph(n: number, edges: ArrayLike<number>, onProgress?: (p: LayoutProgress) => void): Float32Array {
  const out = new Float32Array(2 * n);
  if (n === 0) return out;
  // Levels: level 0 is the graph itself; map[l][i] = the node of level l+1 that holds node i.
  const levels: Graph[] = [buildGraph(n, edges)];
  const maps: Int32Array[] = [];
  while (levels[levels.length - 1].n > 40 && levels.length < 40) {
    const g = levels[levels.length - 1];
    const { coarse, map } = coarsen(g);
    if (coarse.n > 0.92 * g.n) break; // little left to match (stars, isolated nodes)
    levels.push(coarse);
    maps.push(map);
  }
  const rnd = mulberry32(0x9e3779b9 ^ n);
  const top = levels.length - 1;
  let k = 1;
  let pos = new Float64Array(2 * levels[top].n);
  const r0 = Math.sqrt(levels[top].n);
  for (let i = 0; i < levels[top].n; i++) {
    pos[2 * i] = (rnd() - 0.5) * r0;
    pos[2 * i + 1] = (rnd() - 0.5) * r0;
  }
  forceExact(levels[top], pos, k, 300);
  onProgress?.({ level: 1, levels: levels.length });
  for (let l = top - 1; l >= 0; l--) {
    const g = levels[l];
    const map = maps[l];
    const fine = new Float64Array(2 * g.n);
    k *= Math.sqrt(4 / 7);
    for (let i = 0; i < g.n; i++) {
      const p = map[i];
      fine[2 * i] = pos[2 * p] + (rnd() - 0.5) * k * 0.3;
      fine[2 * i + 1] = pos[2 * p + 1] + (rnd() - 0.5) * k * 0.3;
    }
    pos = fine;
    forceGrid(g, pos, k, l === 0 ? 40 : 30);
    onProgress?.({ level: top - l + 1, levels: levels.length });
  }
  for (let i = 0; i < 2 * n; i++) out[i] = pos[i];
  return out;
}

interface Graph {
  n: number;
  start: Int32Array; // CSR: neighbours of i are adj[start[i] .. start[i+1])
  adj: Int32Array;
  weight: Float64Array; // how many original nodes a node stands for
}

function buildGraph(n: number, edges: ArrayLike<number>, weight?: Float64Array): Graph {
  const seen = new Set<number>();
  const deg = new Int32Array(n + 1);
  const pairs: number[] = [];
  for (let e = 0; e + 1 < edges.length; e += 2) {
    let a = edges[e], b = edges[e + 1];
    if (a === b || a < 0 || b < 0 || a >= n || b >= n) continue;
    if (a > b) [a, b] = [b, a];
    const key = a * n + b;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push(a, b);
    deg[a]++;
    deg[b]++;
  }
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + deg[i];
  const fill = start.slice(0, n);
  const adj = new Int32Array(start[n]);
  for (let e = 0; e < pairs.length; e += 2) {
    adj[fill[pairs[e]]++] = pairs[e + 1];
    adj[fill[pairs[e + 1]]++] = pairs[e];
  }
  return { n, start, adj, weight: weight ?? new Float64Array(n).fill(1) };
}

/** One level of coarsening: each node is matched with its lightest unmatched neighbour. */
function coarsen(g: Graph): { coarse: Graph; map: Int32Array } {
  const map = new Int32Array(g.n).fill(-1);
  // Light nodes first, so clusters stay balanced.
  const order = Array.from({ length: g.n }, (_, i) => i).sort((a, b) => g.weight[a] - g.weight[b] || a - b);
  let m = 0;
  const weight: number[] = [];
  for (const i of order) {
    if (map[i] >= 0) continue;
    let best = -1;
    for (let e = g.start[i]; e < g.start[i + 1]; e++) {
      const j = g.adj[e];
      if (map[j] < 0 && (best < 0 || g.weight[j] < g.weight[best])) best = j;
    }
    map[i] = m;
    let w = g.weight[i];
    if (best >= 0) {
      map[best] = m;
      w += g.weight[best];
    }
    weight.push(w);
    m++;
  }
  const edges: number[] = [];
  for (let i = 0; i < g.n; i++)
    for (let e = g.start[i]; e < g.start[i + 1]; e++) {
      const j = g.adj[e];
      if (i < j && map[i] !== map[j]) edges.push(map[i], map[j]);
    }
  return { coarse: buildGraph(m, edges, Float64Array.from(weight)), map };
}

/** Fruchterman-Reingold with all pairs (the coarsest level only: a few dozen nodes). */
function forceExact(g: Graph, pos: Float64Array, k: number, iters: number) {
  const n = g.n;
  const disp = new Float64Array(2 * n);
  let t = k * Math.sqrt(n);
  for (let it = 0; it < iters; it++) {
    disp.fill(0);
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const dx = pos[2 * i] - pos[2 * j], dy = pos[2 * i + 1] - pos[2 * j + 1];
        const d2 = Math.max(dx * dx + dy * dy, 1e-6);
        const f = (k * k) / d2;
        disp[2 * i] += dx * f * g.weight[j]; disp[2 * i + 1] += dy * f * g.weight[j];
        disp[2 * j] -= dx * f * g.weight[i]; disp[2 * j + 1] -= dy * f * g.weight[i];
      }
    attract(g, pos, disp, k);
    move(n, pos, disp, t);
    t *= 0.97;
  }
}

/** Fruchterman-Reingold with repulsion from the nodes within 2k (a grid of 2k cells). */
function forceGrid(g: Graph, pos: Float64Array, k: number, iters: number) {
  const n = g.n;
  const disp = new Float64Array(2 * n);
  const R = 2 * k;
  const cells = new Map<number, number[]>();
  let t = k * 1.5;
  for (let it = 0; it < iters; it++) {
    disp.fill(0);
    cells.clear();
    for (let i = 0; i < n; i++) {
      const key = cellKey(Math.floor(pos[2 * i] / R), Math.floor(pos[2 * i + 1] / R));
      const c = cells.get(key);
      if (c) c.push(i);
      else cells.set(key, [i]);
    }
    for (let i = 0; i < n; i++) {
      const cx = Math.floor(pos[2 * i] / R), cy = Math.floor(pos[2 * i + 1] / R);
      for (let ox = -1; ox <= 1; ox++)
        for (let oy = -1; oy <= 1; oy++) {
          const c = cells.get(cellKey(cx + ox, cy + oy));
          if (!c) continue;
          for (const j of c) {
            if (j === i) continue;
            const dx = pos[2 * i] - pos[2 * j], dy = pos[2 * i + 1] - pos[2 * j + 1];
            const d2 = dx * dx + dy * dy;
            if (d2 > R * R) continue;
            const f = (k * k * g.weight[j]) / Math.max(d2, 1e-9 * k * k);
            disp[2 * i] += dx * f;
            disp[2 * i + 1] += dy * f;
          }
        }
    }
    attract(g, pos, disp, k);
    move(n, pos, disp, t);
    t *= 0.93;
  }
}

function attract(g: Graph, pos: Float64Array, disp: Float64Array, k: number) {
  for (let i = 0; i < g.n; i++)
    for (let e = g.start[i]; e < g.start[i + 1]; e++) {
      const j = g.adj[e];
      if (j < i) continue;
      const dx = pos[2 * i] - pos[2 * j], dy = pos[2 * i + 1] - pos[2 * j + 1];
      const d = Math.sqrt(dx * dx + dy * dy);
      const f = d / k;
      disp[2 * i] -= dx * f; disp[2 * i + 1] -= dy * f;
      disp[2 * j] += dx * f; disp[2 * j + 1] += dy * f;
    }
}

function move(n: number, pos: Float64Array, disp: Float64Array, t: number) {
  for (let i = 0; i < n; i++) {
    const dx = disp[2 * i], dy = disp[2 * i + 1];
    const d = Math.sqrt(dx * dx + dy * dy);
    if (d > 0) {
      const s = Math.min(d, t) / d;
      pos[2 * i] += dx * s;
      pos[2 * i + 1] += dy * s;
    }
  }
}

const cellKey = (x: number, y: number) => (x + 32768) * 65536 + (y + 32768);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
