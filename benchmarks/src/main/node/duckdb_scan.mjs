// Times one DuckDB query over a Parquet file, for the Parquet benchmarks (DuckDB as the fast native reader users
// know). Prints one JSON line: {"version", "threads", "warmup_s", "runs_s": [...]}. The query text has {file} in
// place of the file name. Run from a directory where `npm install @duckdb/node-api` was done:
//   node duckdb_scan.mjs <file> <runs> <threads> "<query with {file}>"
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(process.cwd() + '/');
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
const [file, runsArg, threadsArg, template] = process.argv.slice(2);
const runs = Number(runsArg);
const db = await DuckDBInstance.create(':memory:', { threads: String(threadsArg) });
const con = await db.connect();
const sql = template.replaceAll('{file}', file.replaceAll("'", "''"));
const time = async () => {
  const t0 = process.hrtime.bigint();
  const r = await con.runAndReadAll(sql);
  r.getRows(); // the one result row
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
const warmup = await time();
const times = [];
for (let i = 0; i < runs; i++) {
  times.push(await time());
}
const version = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];
console.log(JSON.stringify({ version, threads: Number(threadsArg), warmup_s: warmup, runs_s: times }));
