// Runs graphql-http's server audits against a live fingraph server and prints JSON.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
import { peer } from './peers.mjs';
const { serverAudits } = await peer('graphql-http');

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({ id: audit.id, name: audit.name, status: result.status, reason: result.reason ?? null });
}
const totals = { ok: 0, warn: 0, error: 0 };
for (const r of results) totals[r.status] += 1;
console.log(JSON.stringify({ totals, results }, null, 1));
