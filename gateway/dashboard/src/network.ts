// Where the Grid page gets a network to draw: its topology (buses, branches, generators) and
// its base state (what flows with the case as given), before any study is run. The one module
// to change when the simulation service offers a network route of its own: today the topology
// and the state both come from a solve of the case.
//
// Base state: the AC power flow of the case as given (POST /simulation/powerflow; a job above
// GF_SIMULATION_SYNC_MAX_BUS buses). Cases whose stored dispatch does not give a converging
// AC power flow (most large PGLib cases) fall back to the DC OPF (POST /simulation/opf,
// mode dc): flows, loading and LMPs, with flat voltages, and the page says so.
import { ApiError, runOpf, runPowerflow, type JobProgress, type OpfResult } from "./api";

export interface BaseState {
  case: string;
  /** What was solved: "pf" (AC power flow) or "dcopf" (the fallback). */
  kind: "pf" | "dcopf";
  result: OpfResult;
  /** Why the AC power flow is not what is shown (its error), when it is not. */
  fallback: { code: string; message: string } | null;
}

const NO_AC_PF = /^(pf_not_converged|network_islanded|no_generation)$/;

export async function baseState(caseName: string, signal?: AbortSignal, onProgress?: (p: JobProgress) => void): Promise<BaseState> {
  try {
    const result = await runPowerflow(caseName, signal, onProgress);
    return { case: caseName, kind: "pf", result, fallback: null };
  } catch (e) {
    if (!(e instanceof ApiError) || !NO_AC_PF.test(e.code)) throw e;
    const result = await runOpf({ case: caseName, mode: "dc", load: { source: "case" }, outages: [] }, signal, onProgress);
    return { case: caseName, kind: "dcopf", result, fallback: { code: e.code, message: e.message } };
  }
}

/** Buses (by index), branches as pairs of bus indexes (branches to unknown buses dropped),
 *  and generator buses: what the layout and the drawing need. */
export interface Topology {
  ids: number[];
  index: Map<number, number>; // bus id -> index
  edges: Int32Array; // from0, to0, from1, to1, … (bus indexes), one pair per branch row
  genBus: Uint8Array; // 1 where an in-service generator connects
}

export function topologyOf(r: OpfResult): Topology {
  const ids = r.bus.map((b) => b.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const edges = new Int32Array(2 * r.branch.length);
  r.branch.forEach((b, i) => {
    edges[2 * i] = index.get(b.fbus) ?? -1;
    edges[2 * i + 1] = index.get(b.tbus) ?? -1;
  });
  const genBus = new Uint8Array(ids.length);
  for (const g of r.gen) {
    const i = index.get(g.bus);
    if (i !== undefined && g.in_service) genBus[i] = 1;
  }
  return { ids, index, edges, genBus };
}
