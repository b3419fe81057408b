// Prints the production bundle size: every file in dist/, raw and gzip (what nginx sends).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;
const files = [];
(function walk(d) {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f !== "bundle-size.json") files.push(p);
  }
})(dist);
let raw = 0, gz = 0;
const rows = files.sort().map((p) => {
  const b = readFileSync(p);
  const g = /\.(js|css|html|json|yaml|svg)$/.test(p) ? gzipSync(b, { level: 6 }).length : b.length;
  raw += b.length;
  gz += g;
  return { file: relative(dist, p), bytes: b.length, gzip: g };
});
const kb = (n) => (n / 1024).toFixed(1).padStart(8) + " kB";
console.log("\nproduction bundle (dist/):");
for (const r of rows) console.log(`  ${r.file.padEnd(40)} ${kb(r.bytes)} ${kb(r.gzip)} gzip`);
console.log(`  ${"total".padEnd(40)} ${kb(raw)} ${kb(gz)} gzip`);
writeFileSync(join(dist, "bundle-size.json"), JSON.stringify({ total_bytes: raw, total_gzip_bytes: gz, files: rows }, null, 2) + "\n");
