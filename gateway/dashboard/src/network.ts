// Where the Grid page gets a network to draw: its topology (buses, branches, generator buses)
// and its base state (what flows with the case as given). The one module that knows which
// simulation routes give them:
//
// - topology: GET /simulation/cases/{name}/network (the case as written, paged; a GET, so it
//   needs no key and the graph is drawn before any solve);
// - base state: the AC power flow of the case as given (POST /simulation/powerflow, a job
//   above GF_SIMULATION_SYNC_MAX_BUS buses, read whole across its pages). Cases whose stored
//   dispatch does not give a converging AC power flow (most large PGLib cases) fall back to the
//   DC OPF (POST /simulation/opf, mode dc): flows, loading and LMPs with flat voltages, and the
//   page says so. Both are POSTs: they need a key with the operate scope.
import { ApiError, caseNetwork, runOpf, runPowerflow, type BranchResult, type BusResult, type JobProgress, type OpfResult } from "./api";

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

/** Buses (by index), branches as pairs of bus indexes (-1 for an end that is no bus), one
 *  pair per branch row, and generator buses: what the layout and the drawing need. */
export interface Topology {
  case: string;
  ids: number[];
  index: Map<number, number>; // bus id -> index
  edges: Int32Array; // from0, to0, from1, to1, … (bus indexes)
  genBus: Uint8Array; // 1 where a generator regulates (pv or ref bus)
  /** The case as written, as a result without values: what is drawn before any solve. */
  unsolved: { bus: BusResult[]; branch: BranchResult[] };
}

export async function caseTopology(caseName: string, signal?: AbortSignal): Promise<Topology> {
  const net = await caseNetwork(caseName, signal);
  const ids = net.buses.map((b) => b.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const rows = [...net.branches].sort((a, b) => a.row - b.row);
  const edges = new Int32Array(2 * rows.length);
  rows.forEach((b, i) => {
    edges[2 * i] = index.get(b.fbus) ?? -1;
    edges[2 * i + 1] = index.get(b.tbus) ?? -1;
  });
  const genBus = Uint8Array.from(net.buses, (b) => (b.type === "pv" || b.type === "ref" ? 1 : 0));
  return {
    case: net.case,
    ids,
    index,
    edges,
    genBus,
    unsolved: {
      bus: net.buses.map((b) => ({ id: b.id, vm_pu: null, va_degree: null, pd_mw: b.pd_mw, lmp: null, in_service: b.in_service })),
      branch: rows.map((b) => ({ index: b.row, fbus: b.fbus, tbus: b.tbus, in_service: b.in_service, pf_mw: null, pt_mw: null, loading_percent: null })),
    },
  };
}

/** A result's buses and branches in the topology's order (buses by id, branches by row), so
 *  the drawing can index them like the topology; what the result lacks stays unsolved. */
export function alignToTopology(t: Topology, r: { bus: BusResult[]; branch: BranchResult[] }): { bus: BusResult[]; branch: BranchResult[] } {
  const byId = new Map(r.bus.map((b) => [b.id, b]));
  const byRow = new Map(r.branch.map((b) => [b.index, b]));
  return {
    bus: t.unsolved.bus.map((b) => byId.get(b.id) ?? b),
    branch: t.unsolved.branch.map((b) => byRow.get(b.index) ?? b),
  };
}
