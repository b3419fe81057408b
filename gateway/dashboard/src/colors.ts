// Colour scales chosen to read for colour-blind operators (Okabe–Ito hues, viridis), and
// always doubled by another cue (line width, dash, a legend with numbers, tables).
export const OKABE = {
  blue: "#0072B2",
  sky: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  orange: "#E69F00",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  grey: "#8a96a6",
};

export const LOADING_BINS: { max: number; color: string; label: string }[] = [
  { max: 50, color: OKABE.sky, label: "< 50 %" },
  { max: 80, color: OKABE.yellow, label: "50–80 %" },
  { max: 100, color: OKABE.orange, label: "80–100 %" },
  { max: Infinity, color: OKABE.vermillion, label: "≥ 100 %" },
];
export function loadingColor(pct: number | null): string {
  if (pct === null || !Number.isFinite(pct)) return OKABE.grey;
  return (LOADING_BINS.find((b) => pct < b.max) ?? LOADING_BINS[LOADING_BINS.length - 1]).color;
}

function hex(c: string): [number, number, number] {
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}
function mix(stops: string[], t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = hex(stops[i]);
  const b = hex(stops[i + 1]);
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export const VIRIDIS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
/** Sequential (LMP): viridis between lo and hi. */
export function viridis(v: number | null, lo: number, hi: number): string {
  if (v === null || !Number.isFinite(v)) return OKABE.grey;
  return mix(VIRIDIS, hi > lo ? (v - lo) / (hi - lo) : 0.5);
}
export const VOLT_STOPS = ["#0072B2", "#7fb3d9", "#e6e6e6", "#f0a675", "#D55E00"];
/** Diverging (voltage): blue below 1.0 pu, vermillion above; full colour at ±0.06 pu. */
export function voltageColor(vm: number | null): string {
  if (vm === null || !Number.isFinite(vm)) return OKABE.grey;
  return mix(VOLT_STOPS, (vm - 0.94) / 0.12);
}
export function gradientCss(stops: string[]): string {
  return `linear-gradient(90deg, ${stops.join(", ")})`;
}
