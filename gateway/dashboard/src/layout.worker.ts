// Runs layoutGraph off the page's thread: {id, n, edges} in, {id, progress} while it works,
// then {id, pos, ms} (positions transferred, not copied).
import { layoutGraph } from "./layout";

self.onmessage = (e: MessageEvent<{ id: number; n: number; edges: Int32Array }>) => {
  const { id, n, edges } = e.data;
  const t0 = performance.now();
  const pos = layoutGraph(n, edges, (p) => self.postMessage({ id, progress: p }));
  self.postMessage({ id, pos, ms: performance.now() - t0 }, { transfer: [pos.buffer] });
};
