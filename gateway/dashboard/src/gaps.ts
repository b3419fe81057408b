// Which hours of a forecast read a missing hour of history, from the model's feature names
// (libs/features/include/features/features.h): target-relative features (lag_N, sh_mean_N /
// sh_std_N, sw_mean_N) read fixed hours before each target; origin-anchored ones (last,
// roll_*_N, ramp_N, level_diff_N, the level24 scale) read the hours just before the origin, so
// a gap there touches every forecast hour. Times are epoch seconds of UTC hour starts.

const H = 3600;

/** The default spec's features that read demand (used when the model's spec is unknown). */
export const DEFAULT_DEMAND_FEATURES = [
  "lag_24", "lag_48", "lag_72", "lag_144", "lag_168", "lag_192", "lag_336", "lag_504",
  "sh_mean_7", "sh_std_7", "sw_mean_4", "last", "ramp_1", "ramp_3", "ramp_24", "level_diff_168",
  "roll_mean_24", "roll_mean_168", "roll_mean_672", "scale",
];

/** Hours before a target (target-relative) read by one feature; null for anchored ones. */
function targetOffsets(f: string): number[] | null {
  let m = /^lag_(\d+)$/.exec(f);
  if (m) return [Number(m[1])];
  m = /^sh_(?:mean|std)_(\d+)$/.exec(f);
  if (m) return Array.from({ length: Number(m[1]) }, (_, k) => 24 * (k + 1));
  m = /^sw_mean_(\d+)$/.exec(f);
  if (m) return Array.from({ length: Number(m[1]) }, (_, k) => 168 * (k + 1));
  return null;
}

/** Hours before the origin read by an origin-anchored feature ([from, to) in hours back). */
function anchoredSpan(f: string): [number, number] | null {
  if (f === "last") return [1, 0];
  if (f === "scale") return [24, 0];
  let m = /^roll_(?:mean|std|min|max)_(\d+)$/.exec(f);
  if (m) return [Number(m[1]), 0];
  m = /^ramp_(\d+)$/.exec(f);
  if (m) return [Number(m[1]) + 1, 0];
  m = /^level_diff_(\d+)$/.exec(f);
  if (m) return [Number(m[1]) + 24, 0];
  return null;
}

/** How many hours before the origin the features look back at most. */
export function lookbackHours(features: string[]): number {
  let max = 24;
  for (const f of features) {
    const t = targetOffsets(f);
    if (t) max = Math.max(max, ...t);
    const a = anchoredSpan(f);
    if (a) max = Math.max(max, a[0]);
  }
  return max;
}

/** Hours in [from, to) without a value, ignoring those before the series' first hour. */
export function missingHours(from: number, to: number, t: number[], v: (number | null)[], first: number | null): number[] {
  const have = new Set<number>();
  t.forEach((x, i) => {
    if (typeof v[i] === "number" && Number.isFinite(v[i])) have.add(x);
  });
  const out: number[] = [];
  for (let h = Math.max(from, first ?? from); h < to; h += H) if (!have.has(h)) out.push(h);
  return out;
}

export interface GapImpact {
  /** Forecast hours whose target-relative features read a missing hour, with those features. */
  hours: Map<number, string[]>;
  /** Origin-anchored features that read a missing hour: every forecast hour depends on them. */
  anchored: string[];
}

export function gapImpact(features: string[], origin: number, targets: number[], missing: number[]): GapImpact {
  const gap = new Set(missing);
  const hours = new Map<number, string[]>();
  const anchored: string[] = [];
  if (!gap.size) return { hours, anchored };
  for (const f of features) {
    const offs = targetOffsets(f);
    if (offs) {
      for (const t of targets) {
        if (offs.some((k) => t - k * H < origin && gap.has(t - k * H))) {
          const l = hours.get(t) ?? [];
          l.push(f);
          hours.set(t, l);
        }
      }
      continue;
    }
    const span = anchoredSpan(f);
    if (span && missing.some((m) => m >= origin - span[0] * H && m < origin - span[1] * H)) anchored.push(f);
  }
  return { hours, anchored };
}

/** Consecutive hours as ranges [first, last]. */
export function hourRanges(hours: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const h of [...hours].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && h === last[1] + H) last[1] = h;
    else out.push([h, h]);
  }
  return out;
}
