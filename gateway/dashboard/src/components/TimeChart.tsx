// Time-series chart on uPlot: canvas rendering that stays smooth with tens of thousands of
// points (a week of hourly demand for many regions, 168 h forecasts with two interval bands),
// about 50 kB minified, and no dependencies. Times are epoch seconds, drawn in UTC.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  width?: number;
  dash?: number[];
  /** Hidden from the legend and drawn without a line: the edge of a band. */
  bandEdge?: boolean;
  bars?: boolean;
  scale?: string;
  points?: boolean;
  /** Point diameter in px (with points; markers on a line). */
  pointSize?: number;
}
export interface ChartBand {
  upper: number; // index into series (0-based, without x)
  lower: number;
  fill: string;
}

export interface TimeChartProps {
  x: number[];
  series: ChartSeries[];
  bands?: ChartBand[];
  height?: number;
  yLabel?: string;
  y2Label?: string;
  /** Plain numbers on x (hours) instead of times. */
  numericX?: boolean;
  xLabel?: string;
  label: string;
  testId?: string;
  /** Vertical marker, e.g. "now" between actuals and forecast. */
  marker?: number | null;
  /** Fixed x range [min, max] instead of the data's extent (a live window). */
  xRange?: [number, number];
}

const AXIS = "#c3ccd8";
const GRID = "rgba(160,175,195,0.16)";

export function TimeChart(p: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const bandsRef = useRef<ChartBand[]>([]);
  bandsRef.current = p.bands ?? [];

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth || 600);
    const height = p.height ?? 260;
    const xRange = p.xRange;
    const scales: uPlot.Scales = { x: xRange ? { time: !p.numericX, range: () => xRange } : { time: !p.numericX } };
    const axes: uPlot.Axis[] = [
      { stroke: AXIS, grid: { stroke: GRID }, ticks: { stroke: GRID }, label: p.xLabel, labelSize: p.xLabel ? 20 : 0 },
      { stroke: AXIS, grid: { stroke: GRID }, ticks: { stroke: GRID }, label: p.yLabel, size: 64, labelSize: p.yLabel ? 20 : 0 },
    ];
    if (p.series.some((s) => s.scale === "y2")) {
      scales.y2 = { auto: true };
      axes.push({ scale: "y2", side: 1, stroke: AXIS, grid: { show: false }, label: p.y2Label, size: 56, labelSize: p.y2Label ? 20 : 0 });
    }
    const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
    const marker = p.marker;
    const opts: uPlot.Options = {
      width,
      height,
      scales,
      axes,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      series: [
        { label: p.numericX ? (p.xLabel ?? "x") : "time (UTC)" },
        ...p.series.map<uPlot.Series>((s) => ({
          label: s.label,
          stroke: s.bandEdge ? "transparent" : s.color,
          width: s.bandEdge ? 0 : (s.width ?? 1.5),
          dash: s.dash,
          scale: s.scale ?? "y",
          fill: s.bars ? s.color : undefined,
          paths: s.bars ? bars : undefined,
          points: s.pointSize ? { show: s.points ?? false, size: s.pointSize, fill: s.color } : { show: s.points ?? false },
          spanGaps: false,
          ...(s.bandEdge ? { legend: false } : {}),
        })),
      ],
      bands: (p.bands ?? []).map((b) => ({ series: [b.upper + 1, b.lower + 1] as [number, number], fill: b.fill })),
      hooks: {
        draw: [
          (u: uPlot) => {
            // The x extent actually drawn (a test checks the live window).
            el.dataset.xMin = String(u.scales.x.min ?? "");
            el.dataset.xMax = String(u.scales.x.max ?? "");
            if (marker != null) {
              const cx = u.valToPos(marker, "x", true);
              if (Number.isFinite(cx)) {
                const ctx = u.ctx;
                ctx.save();
                ctx.strokeStyle = "rgba(230,235,240,0.55)";
                ctx.setLineDash([4, 4]);
                ctx.beginPath();
                ctx.moveTo(cx, u.bbox.top);
                ctx.lineTo(cx, u.bbox.top + u.bbox.height);
                ctx.stroke();
                ctx.restore();
              }
            }
            // Where the first band was drawn (canvas pixels at its middle point), so a test can
            // look at the pixels: data-band-probe='{"x":…,"top":…,"bottom":…,"n":…}'.
            const b = bandsRef.current[0];
            if (!b) {
              delete el.dataset.bandProbe;
              return;
            }
            const hi = u.data[b.upper + 1] as (number | null)[];
            const lo = u.data[b.lower + 1] as (number | null)[];
            const idx: number[] = [];
            for (let i = 0; i < hi.length; i++) if (typeof hi[i] === "number" && typeof lo[i] === "number") idx.push(i);
            if (!idx.length) {
              delete el.dataset.bandProbe;
              return;
            }
            const i = idx[Math.floor(idx.length / 2)];
            el.dataset.bandProbe = JSON.stringify({
              x: Math.round(u.valToPos(u.data[0][i] as number, "x", true)),
              top: Math.round(u.valToPos(hi[i] as number, "y", true)),
              bottom: Math.round(u.valToPos(lo[i] as number, "y", true)),
              n: idx.length,
            });
          },
        ],
      },
    };
    const data = [p.x, ...p.series.map((s) => s.values)] as uPlot.AlignedData;
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el);
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (plot.current && Math.abs(plot.current.width - w) > 2) plot.current.setSize({ width: w, height });
    }) : null;
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [p.x, p.series, p.bands, p.height, p.yLabel, p.y2Label, p.numericX, p.xLabel, p.marker, p.xRange?.[0], p.xRange?.[1]]);

  return (
    <figure className="chart" data-testid={p.testId}>
      <div ref={host} className="chart-host" role="img" aria-label={p.label} />
      <figcaption className="sr-only">{p.label}</figcaption>
    </figure>
  );
}
