// Number and time formatting in one place (operators compare numbers across pages).
const nf0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export function fmtNum(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (digits === 0) return nf0.format(v);
  if (digits === 1) return nf1.format(v);
  if (digits === 2) return nf2.format(v);
  return v.toFixed(digits);
}
export function fmtMW(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 10000) return `${nf1.format(v / 1000)} GW`;
  if (a >= 100 || a === 0) return `${nf0.format(v)} MW`;
  if (a >= 1) return `${nf1.format(v)} MW`;
  // Simulated or small fleets: a few hundred meters are well under a megawatt.
  return `${nf1.format(v * 1000)} kW`;
}
export function fmtPct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : `${v.toFixed(digits)} %`;
}
/** Epoch seconds → "2018-06-30 14:00 UTC" (the data and the services are in UTC). */
export function fmtTime(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return "–";
  return new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}
export function fmtDate(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return "–";
  return new Date(t * 1000).toISOString().slice(0, 10);
}
export function fmtDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "–";
  if (s < 60) return `${Math.floor(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
export function fmtAgo(ms: number | null): string {
  if (ms === null) return "";
  const s = Math.max(0, (Date.now() - ms) / 1000);
  return s < 2 ? "just now" : `${Math.round(s)} s ago`;
}
