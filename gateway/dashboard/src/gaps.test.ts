import { describe, expect, it } from "vitest";
import { gapImpact, hourRanges, lookbackHours, missingHours } from "./gaps";

const H = 3600;
const origin = Date.parse("2018-07-02T00:00:00Z") / 1000;
const gap = Date.parse("2018-06-28T14:00:00Z") / 1000; // 82 h before the origin
const targets = Array.from({ length: 48 }, (_, i) => origin + i * H);

describe("history gaps", () => {
  it("finds the hours without a value, not those before the series starts", () => {
    const t = [origin - 4 * H, origin - 2 * H, origin - H];
    expect(missingHours(origin - 6 * H, origin, t, [1, null, 3], origin - 5 * H)).toEqual([origin - 5 * H, origin - 3 * H, origin - 2 * H]);
    expect(hourRanges([origin - 5 * H, origin - 3 * H, origin - 2 * H])).toEqual([[origin - 5 * H, origin - 5 * H], [origin - 3 * H, origin - 2 * H]]);
  });

  it("looks back as far as the longest feature", () => {
    expect(lookbackHours(["lag_24", "roll_mean_672", "sw_mean_4"])).toBe(672);
    expect(lookbackHours(["lag_504", "sh_mean_7"])).toBe(504);
  });

  it("names the forecast hours whose target-relative features read the gap", () => {
    const im = gapImpact(["lag_24", "lag_168", "sh_mean_7", "roll_mean_168", "roll_mean_24", "last"], origin, targets, [gap]);
    // sh_mean_7 reads the same hour of the 7 days before each target: 14:00 on both days.
    expect([...im.hours.keys()]).toEqual([origin + 14 * H, origin + 38 * H]);
    expect(im.hours.get(origin + 14 * H)).toEqual(["sh_mean_7"]);
    // lag_168 of the 14:00 target on 07-05 would read it, but that hour is past the horizon;
    // lag_24 reads only hours after the gap's day.
    expect(im.anchored).toEqual(["roll_mean_168"]);
  });

  it("says every hour depends on a gap just before the origin", () => {
    const im = gapImpact(["last", "ramp_1", "roll_mean_24", "scale", "lag_24"], origin, targets, [origin - H]);
    expect(im.anchored).toEqual(["last", "ramp_1", "roll_mean_24", "scale"]);
    expect([...im.hours.keys()]).toEqual([origin + 23 * H]);
  });

  it("finds nothing without gaps", () => {
    const im = gapImpact(["lag_24", "last"], origin, targets, []);
    expect(im.hours.size).toBe(0);
    expect(im.anchored).toEqual([]);
  });
});
