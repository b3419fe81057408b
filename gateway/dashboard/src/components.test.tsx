import { afterEach, describe, expect, it, vi } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "./App";
import { NetworkGraph, layoutNetwork } from "./components/NetworkGraph";
import { ErrorState } from "./components/State";
import { ApiError, setApiKey } from "./api";
import { loadingColor, voltageColor } from "./colors";
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

describe("network graph", () => {
  const bus = [1, 2, 3].map((id) => ({ id, vm_pu: 0.95 + id * 0.03, va_degree: 0, pd_mw: 10, lmp: 20 + id, in_service: true }));
  const branch = [
    { index: 0, fbus: 1, tbus: 2, in_service: true, pf_mw: 50, pt_mw: -49, loading_percent: 30 },
    { index: 1, fbus: 2, tbus: 3, in_service: true, pf_mw: 90, pt_mw: -88, loading_percent: 101 },
    { index: 2, fbus: 1, tbus: 3, in_service: false, pf_mw: 0, pt_mw: 0, loading_percent: 0 },
  ];

  it("lays out deterministically", () => {
    const a = layoutNetwork([1, 2, 3], [[1, 2], [2, 3]]);
    const b = layoutNetwork([1, 2, 3], [[1, 2], [2, 3]]);
    expect([...a.values()]).toEqual([...b.values()]);
  });

  it("colours branches by loading and buses by voltage, and toggles outages", () => {
    const toggle = vi.fn();
    render(<NetworkGraph bus={bus} branch={branch} colouring="voltage" onToggleBranch={toggle} />);
    const lines = document.querySelectorAll("line.branch");
    expect(lines).toHaveLength(3);
    expect(lines[0].getAttribute("stroke")).toBe(loadingColor(30));
    expect(lines[1].getAttribute("stroke")).toBe(loadingColor(101));
    expect(lines[2].getAttribute("stroke-dasharray")).toBeTruthy();
    const fills = [...document.querySelectorAll(".bus")].map((b) => b.getAttribute("fill"));
    expect(fills[0]).toBe(voltageColor(0.98));
    expect(new Set(fills).size).toBe(3);
    fireEvent.click(lines[1]);
    expect(toggle).toHaveBeenCalledWith(1);
  });
});
