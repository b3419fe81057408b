// Vitest setup: jsdom has no canvas, so uPlot is replaced by a stub that records what it was
// given; the charting itself is exercised in the browser tests (tests/browser).
import { vi, afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

afterEach(() => cleanup());
// jsdom does not implement scrolling.
window.scrollTo = () => {};
Element.prototype.scrollIntoView = () => {};

vi.mock("uplot", () => {
  class FakePlot {
    static paths = { bars: () => () => null };
    static tzDate = (d: Date) => d;
    width: number;
    constructor(opts: { width: number; series: { label?: string }[] }, data: unknown[], el: HTMLElement) {
      this.width = opts.width;
      const c = document.createElement("div");
      c.className = "fake-uplot";
      c.setAttribute("data-series", opts.series.map((s) => s.label ?? "").join("|"));
      c.setAttribute("data-points", String((data[0] as unknown[]).length));
      el.appendChild(c);
    }
    setSize() {}
    destroy() {}
  }
  return { default: FakePlot };
});
