// Vite builds the dashboard into dist/, which the gateway serves at `/`. Everything is bundled
// (no CDN at run time); the gateway's CSP (default-src 'self') forbids anything else anyway.
// `npm run dev` proxies /api to a running gateway (GF_GATEWAY_URL, default the `make up` one).
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

// The API contract ships with the dashboard: proto/openapi.yaml as is, plus a JSON copy the
// System page lists routes from (converted here, so no YAML parser is bundled).
const contract = fileURLToPath(new URL("../../proto/openapi.yaml", import.meta.url));
function openapiAssets() {
  return {
    name: "gridflow-openapi",
    generateBundle(this: { emitFile: (f: { type: "asset"; fileName: string; source: string }) => void; warn: (m: string) => void }) {
      if (!existsSync(contract)) return;
      const text = readFileSync(contract, "utf8");
      this.emitFile({ type: "asset", fileName: "openapi.yaml", source: text });
      try {
        this.emitFile({ type: "asset", fileName: "openapi.json", source: JSON.stringify(parse(text)) });
      } catch (e) {
        this.warn(`proto/openapi.yaml does not parse: ${(e as Error).message}`);
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), openapiAssets()],
  base: "/",
  build: {
    outDir: "dist",
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      output: {
        // Charting and React change less often than our code: separate, cacheable chunks.
        manualChunks(id: string) {
          if (id.includes("node_modules/uplot")) return "uplot";
          if (id.includes("node_modules/react")) return "react";
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: { "/api": process.env.GF_GATEWAY_URL ?? "http://127.0.0.1:8080" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    pool: "threads",
    maxWorkers: 1,
  },
});
