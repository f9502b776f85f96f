// PostGraphile 5, the yardstick of `make bench` (issue 14): the amber preset plus the V4
// preset, so it serves the same schema, names and documents as PostGraphile 4 over the
// same tables (bench/postgraphile.py sends both the same mapped contract queries).
// Production-like: no GraphiQL, no watch, no explain, no default mutations. The bench
// passes the database, port and pool size in FINGRAPH_PG5_* variables.
import { makePgService } from "postgraphile5/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile5/presets/amber";
import { makeV4Preset } from "postgraphile5/presets/v4";
import { pgSmartTagsFromFile } from "postgraphile5/utils";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

// PostGraphile 5 names PostgreSQL's geometric type `line` "Line", the name the table
// credit.lines also takes (as in PostGraphile 4, which has no geometric types): the clash
// drops the table's columns from its type. The geometric type gets another name.
const GeometricLinePlugin = {
  name: "FingraphBenchGeometricLinePlugin",
  version: "0.0.0",
  inflection: {
    replace: {
      builtin(previous, _options, name) {
        return name === "Line" ? "GeometricLine" : previous(name);
      },
    },
  },
};

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [
    PostGraphileAmberPreset,
    makeV4Preset({ disableDefaultMutations: true, graphiql: false, ignoreRBAC: true }),
  ],
  plugins: [pgSmartTagsFromFile(`${here}postgraphile.tags.json5`), GeometricLinePlugin],
  // Amber lets a relation's backward fields (e.g. paymentsByMerchantId) exist only where an
  // index covers its columns, and counts a partial index as none: payments' merchant index
  // is partial, so the relation MerchantsPage reads would vanish. PostGraphile 4 ignores
  // indexes; so must 5 here, to serve the same relations over the same tables.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.FINGRAPH_PG5_DSN,
      schemas: ["payments", "credit", "funds"],
      poolConfig: { max: Number(process.env.FINGRAPH_PG5_POOL_MAX ?? "20") },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.FINGRAPH_PG5_PORT ?? "5678"),
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
