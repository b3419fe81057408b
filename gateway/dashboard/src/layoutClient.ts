// Layouts of network topologies: computed in a Web Worker (layout.worker.ts) and cached by
// topology, in memory and in localStorage (a few of the largest fit: 10,000 buses are 80 kB),
// so a case is laid out once per browser, and the same topology always gets the same picture.
import { layoutGraph, type LayoutProgress } from "./layout";

const PREFIX = "gridflow.layout.";
const KEEP = 6; // layouts kept in localStorage
const memory = new Map<string, Float32Array>();

/** A key for a topology: node count, edge count and a hash of the edges. */
export function topologyKey(n: number, edges: Int32Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < edges.length; i++) {
    h ^= edges[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${n}.${edges.length / 2}.${h.toString(16)}`;
}

function fromStorage(key: string): Float32Array | null {
  try {
    const s = localStorage.getItem(PREFIX + key);
    if (!s) return null;
    const bin = atob(s);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  } catch {
    return null;
  }
}

function toStorage(key: string, pos: Float32Array) {
  try {
    const bytes = new Uint8Array(pos.buffer.slice(0));
    let bin = "";
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    // Keep the KEEP most recent layouts (each has a time stamp beside it).
    const stamp = (k: string) => Number(localStorage.getItem(`${k}#t`) ?? 0);
    const keys = Object.keys(localStorage)
      .filter((k) => k.startsWith(PREFIX) && !k.endsWith("#t") && k !== PREFIX + key)
      .sort((a, b) => stamp(a) - stamp(b));
    for (const k of keys.slice(0, Math.max(0, keys.length - (KEEP - 1)))) {
      localStorage.removeItem(k);
      localStorage.removeItem(`${k}#t`);
    }
    localStorage.setItem(PREFIX + key, btoa(bin));
    localStorage.setItem(`${PREFIX}${key}#t`, String(Date.now()));
  } catch {
    /* full or unavailable: the memory cache still holds it */
  }
}

export interface LayoutResult {
  pos: Float32Array;
  ms: number;
  cached: boolean;
}

let nextId = 1;
let worker: Worker | null = null;
const waiting = new Map<number, { resolve: (r: { pos: Float32Array; ms: number }) => void; reject: (e: unknown) => void; onProgress?: (p: LayoutProgress) => void }>();

function getWorker(): Worker | null {
  if (worker || typeof Worker === "undefined") return worker;
  worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (e: MessageEvent<{ id: number; progress?: LayoutProgress; pos?: Float32Array; ms?: number }>) => {
    const w = waiting.get(e.data.id);
    if (!w) return;
    if (e.data.progress) w.onProgress?.(e.data.progress);
    else if (e.data.pos) {
      waiting.delete(e.data.id);
      w.resolve({ pos: e.data.pos, ms: e.data.ms ?? 0 });
    }
  };
  worker.onerror = (e) => {
    for (const w of waiting.values()) w.reject(new Error(`layout worker: ${e.message}`));
    waiting.clear();
    worker = null;
  };
  return worker;
}

/** Positions of a topology: from the cache, else computed in the worker (or here, where
 *  workers do not exist: tests). */
export async function layoutTopology(n: number, edges: Int32Array, onProgress?: (p: LayoutProgress) => void): Promise<LayoutResult> {
  const key = topologyKey(n, edges);
  const hit = memory.get(key) ?? fromStorage(key);
  if (hit && hit.length === 2 * n) {
    memory.set(key, hit);
    return { pos: hit, ms: 0, cached: true };
  }
  const w = getWorker();
  let r: { pos: Float32Array; ms: number };
  if (!w) {
    const t0 = performance.now();
    r = { pos: layoutGraph(n, edges, onProgress), ms: performance.now() - t0 };
  } else {
    const id = nextId++;
    r = await new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject, onProgress });
      w.postMessage({ id, n, edges });
    });
  }
  memory.set(key, r.pos);
  toStorage(key, r.pos);
  return { ...r, cached: false };
}
