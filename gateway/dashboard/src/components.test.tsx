import { afterEach, describe, expect, it, vi } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "./App";
import { layoutGraph } from "./layout";
import { topologyKey } from "./layoutClient";
import { ErrorState } from "./components/State";
import { ApiError, setApiKey } from "./api";
import { mockFetch } from "./test/fetchMock";

afterEach(() => {
  vi.unstubAllGlobals();
  setApiKey(null);
  window.history.pushState(null, "", "/");
});

function at(path: string) {
  window.history.pushState(null, "", path);
}

describe("states", () => {
  it("says a route is not there yet, distinct from a service that is down", () => {
    const { rerender } = render(<ErrorState error={new ApiError(404, "route_not_found", "x")} what="The forecast" />);
    expect(screen.getByRole("status").dataset.errorKind).toBe("missing");
    expect(screen.getByText("The forecast is not available yet")).toBeTruthy();
    rerender(<ErrorState error={new ApiError(502, "bad_gateway", "down")} what="The forecast" />);
    expect(screen.getByRole("status").dataset.errorKind).toBe("down");
    rerender(<ErrorState error={new ApiError(403, "forbidden", "this API key lacks the scope 'operate' this route needs")} what="Training" />);
    expect(screen.getByRole("status").dataset.errorKind).toBe("auth");
    expect(screen.getByText("The API key lacks a scope")).toBeTruthy();
  });
});

describe("shell", () => {
  it("renders the navigation and switches pages without a reload", async () => {
    mockFetch({});
    at("/");
    render(<App />);
    expect(screen.getAllByRole("link", { name: /Overview|Forecast|Grid|Models|Compliance|System/ }).length).toBeGreaterThanOrEqual(6);
    fireEvent.click(screen.getByRole("link", { name: "System" }));
    expect(window.location.pathname).toBe("/system");
    expect(await screen.findByRole("heading", { level: 1, name: "System" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "System" }).getAttribute("aria-current")).toBe("page");
  });
});

describe("System page", () => {
  it("shows each service's readiness and version", async () => {
    const routes: Record<string, [number, unknown]> = {};
    for (const s of ["ingestion", "trainer", "forecast", "simulation", "compliance"]) {
      routes[`GET /api/${s}/info`] = [200, { name: s, version: `1.${s.length}`, uptime_seconds: 90 }];
      routes[`GET /api/${s}/readyz`] = s === "forecast" ? [503, { error: { code: "not_ready", message: "no model", details: [{ check: "model", ok: false }] } }] : [200, { ready: true, checks: { redis: { ok: true } } }];
    }
    mockFetch(routes);
    at("/system");
    render(<App />);
    await waitFor(() => expect(screen.getByTestId("services-table")).toBeTruthy());
    expect(screen.getByTestId("version-trainer").textContent).toBe("1.7");
    const fc = document.querySelector('tr[data-service="forecast"]')!;
    expect(fc.getAttribute("data-ready")).toBe("false");
    expect(fc.textContent).toContain("model");
    expect(screen.getByText("4 of 5 services ready", { exact: false })).toBeTruthy();
  });
});

describe("Overview page", () => {
  it("shows the summary numbers in the cards", async () => {
    mockFetch({
      "GET /api/ingestion/summary": [200, { total_load_mw: 12345.6, meters_reporting: 250, readings_per_second: 41.5, rejected: 3, regions: [{ region: "PJM", load_mw: 9000 }, { region: "NYC", load_mw: 3345.6 }] }],
      "GET /api/ingestion/anomalies": [200, { anomalies: [{ ts: "2024-01-01T00:00:00Z", region: "PJM", meter_id: "m1", kind: "spike", value: 99 }] }],
      "GET /api/trainer/models": [200, { models: [{ name: "load:PJM", aliases: { production: 1 } }, { name: "load:NYC", aliases: {} }] }],
    });
    at("/");
    render(<App />);
    await waitFor(() => expect(screen.getByTestId("card-total-load").textContent).toContain("12.3 GW"));
    expect(screen.getByTestId("card-meters").textContent).toContain("250");
    expect(screen.getByTestId("card-rejected").textContent).toContain("3");
    await waitFor(() => expect(screen.getByTestId("card-models").textContent).toContain("1"));
    expect(screen.getByTestId("region-loads").textContent).toContain("PJM");
    await waitFor(() => expect(screen.getByTestId("anomalies-table").textContent).toContain("spike"));
  });

  it("shows error states, not a broken page, when ingestion has no routes yet", async () => {
    mockFetch({});
    at("/");
    render(<App />);
    await waitFor(() => expect(document.querySelectorAll('[data-state="error"]').length).toBeGreaterThanOrEqual(2));
    expect(screen.getByTestId("card-total-load").textContent).toContain("n/a");
  });
});

describe("Compliance page", () => {
  it("asks for the API key, shows the answer and expands a citation", async () => {
    const calls = mockFetch({
      "POST /api/compliance/ask": [
        200,
        {
          answer: "Distributors may be designated [P1].",
          citations: [{ id: "P1", document: "32012L0027", document_name: "Directive 2012/27/EU", article: "Article 7", paragraph: "4", ref: "Article 7(4)", title: "Energy efficiency obligation schemes", text: "designate obligated parties amongst energy distributors", score: 3.2 }],
          confidence: 0.8,
          refused: false,
        },
      ],
    });
    at("/compliance");
    render(<App />);
    fireEvent.change(screen.getByLabelText("Your question"), { target: { value: "Who is obligated?" } });
    fireEvent.click(screen.getByRole("button", { name: "Ask" }));
    const input = await screen.findByLabelText("API key");
    fireEvent.change(input, { target: { value: "secret-key" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Use key" }));
    });
    await screen.findByTestId("answer");
    expect(calls.find((c) => c.method === "POST")!.headers["X-API-Key"]).toBe("secret-key");
    const head = screen.getByRole("button", { name: /Directive 2012\/27\/EU, Article 7\(4\)/ });
    expect(head.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(head);
    expect(screen.getByTestId("citation-text").textContent).toContain("energy distributors");
  });

  it("asks for another key when the key lacks the scope, naming it", async () => {
    setApiKey("read-only-key");
    const forbidden = "this API key lacks the scope 'operate' this route needs";
    const calls = mockFetch({
      "POST /api/compliance/ask": (_b, _u) =>
        calls.filter((c) => c.method === "POST").length === 1
          ? [403, { error: { code: "forbidden", message: forbidden, details: [{ scope: "operate" }] } }]
          : [200, { answer: null, citations: [], refused: true, reason: "no_evidence", reason_message: "nothing" }],
    });
    at("/compliance");
    render(<App />);
    fireEvent.change(screen.getByLabelText("Your question"), { target: { value: "cake?" } });
    fireEvent.click(screen.getByRole("button", { name: "Ask" }));
    const dialog = await screen.findByTestId("apikey-dialog");
    expect(dialog.textContent).toContain(forbidden);
    fireEvent.change(screen.getByLabelText("API key"), { target: { value: "operator-key" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Use key" }));
    });
    await screen.findByTestId("answer");
    const posts = calls.filter((c) => c.method === "POST");
    expect(posts.map((c) => c.headers["X-API-Key"])).toEqual(["read-only-key", "operator-key"]);
  });

  it("shows a refusal as a refusal", async () => {
    setApiKey("k");
    mockFetch({ "POST /api/compliance/ask": [200, { answer: null, citations: [], refused: true, reason: "no_evidence", reason_message: "The corpus holds nothing on cakes." }] });
    at("/compliance");
    render(<App />);
    fireEvent.change(screen.getByLabelText("Your question"), { target: { value: "cake?" } });
    fireEvent.click(screen.getByRole("button", { name: "Ask" }));
    const a = await screen.findByTestId("answer");
    expect(a.dataset.refused).toBe("true");
    expect(a.textContent).toContain("Refused");
    expect(a.textContent).toContain("nothing on cakes");
  });
});

describe("network layout", () => {
  // A ring of 30 buses with a chord, and a 40 x 40 mesh (1,600 buses): grid-like topologies.
  const ring = (n: number) => Int32Array.from(Array.from({ length: n }, (_, i) => [i, (i + 1) % n]).flat().concat([0, Math.floor(n / 2)]));
  const mesh = (w: number) => {
    const e: number[] = [];
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) {
      if (x + 1 < w) e.push(y * w + x, y * w + x + 1);
      if (y + 1 < w) e.push(y * w + x, (y + 1) * w + x);
    }
    return Int32Array.from(e);
  };
  const dist = (p: Float32Array, a: number, b: number) => Math.hypot(p[2 * a] - p[2 * b], p[2 * a + 1] - p[2 * b + 1]);

  it("is deterministic and finite", () => {
    const a = layoutGraph(30, ring(30));
    const b = layoutGraph(30, ring(30));
    expect([...a]).toEqual([...b]);
    expect([...a].every(Number.isFinite)).toBe(true);
  });

  it("places neighbours close and spreads the rest (multilevel, 1,600 buses)", () => {
    const w = 40;
    const e = mesh(w);
    const p = layoutGraph(w * w, e);
    let edge = 0;
    for (let i = 0; i < e.length; i += 2) edge += dist(p, e[i], e[i + 1]);
    edge /= e.length / 2;
    // Opposite corners of the mesh end up far apart compared with one branch.
    expect(dist(p, 0, w * w - 1)).toBeGreaterThan(10 * edge);
    // No two buses on top of each other.
    let close = 0;
    for (let i = 0; i < w * w; i++) if (dist(p, i, (i + 7) % (w * w)) < edge * 0.01) close++;
    expect(close).toBe(0);
  });

  it("keys topologies by their edges", () => {
    expect(topologyKey(3, Int32Array.from([0, 1, 1, 2]))).toBe(topologyKey(3, Int32Array.from([0, 1, 1, 2])));
    expect(topologyKey(3, Int32Array.from([0, 1, 1, 2]))).not.toBe(topologyKey(3, Int32Array.from([0, 1, 0, 2])));
  });
});
