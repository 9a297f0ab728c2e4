// Writes the DuckDB-made Parquet fixtures of InteropFixturesTest (row i's values are the formulas of
// FixtureRows.java). Run from a directory where `npm install @duckdb/node-api` was done (it needs no network
// afterwards), e.g.:
//   mkdir -p /tmp/duckdb && cd /tmp/duckdb && npm install @duckdb/node-api
//   node <repo>/data-loaders/src/test/node/gen_duckdb_fixtures.mjs <repo>/data-loaders/src/test/resources/parquet
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(process.cwd() + '/');
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
const out = process.argv[2];
if (!out) {
  console.error('usage: node gen_duckdb_fixtures.mjs <output directory>');
  process.exit(2);
}

const ROWS = 40;
// The same formulas as FixtureRows.java (double arithmetic cast explicitly: DuckDB literals are decimals).
const select = `
  SELECT
    i::INTEGER AS id,
    (i * 5 - 100)::TINYINT AS t,
    (i * 300 - 6000)::SMALLINT AS s,
    CASE WHEN i % 9 = 4 THEN NULL ELSE (i * 7919 - 150000)::INTEGER END AS n,
    (i * 1000000007 - 5000000000)::BIGINT AS l,
    (255 - i)::UTINYINT AS ut,
    (4000000000 - i)::UINTEGER AS uu,
    (i * 1000 + 1)::UBIGINT AS ub,
    (i::FLOAT * 0.25::FLOAT - 2::FLOAT) AS f,
    (i::DOUBLE * 0.1::DOUBLE - 1::DOUBLE) AS d,
    (i % 3 = 0) AS b,
    ((i * 1234 - 5000)::DECIMAL(18,0) * 0.01)::DECIMAL(9,2) AS dec_i,
    ((i * 123456789 - 7)::DECIMAL(18,0) * 0.001)::DECIMAL(18,3) AS dec_l,
    (((i - 20)::DECIMAL(38,0) * 100000000000000000000::DECIMAL(38,0) + i) * 0.0001)::DECIMAL(38,4) AS dec_f,
    ('1970-01-01'::DATE + (19000 + i)::INTEGER) AS day,
    make_timestamp(1700000000000000 + i * 3600000123) AS ts,
    make_timestamp(1700000000000000 + i * 3600000123)::TIMESTAMPTZ AS ts_tz,
    epoch_ms(1700000000000 + i * 1000003)::TIMESTAMP_MS AS ts_ms,
    make_timestamp_ns(1700000000000000000 + i * 7) AS ts_ns,
    CASE WHEN i % 7 = 3 THEN NULL ELSE 'cat' || (i % 5) END AS str,
    [i, i + 1, i + 2]::INTEGER[] AS arr_i,
    [i::DOUBLE / 2, -i::DOUBLE / 4] AS arr_d,
    [i::FLOAT, 2 * i::FLOAT, 3 * i::FLOAT, 4 * i::FLOAT]::FLOAT[] AS arr_f
  FROM range(0, ${ROWS}) r(i) ORDER BY i`;

const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await db.connect();
await con.run(`COPY (${select}) TO '${out}/duckdb_zstd_v1.parquet' (FORMAT parquet, COMPRESSION zstd)`);
await con.run(`COPY (${select}) TO '${out}/duckdb_snappy_v2.parquet' (FORMAT parquet, COMPRESSION snappy, PARQUET_VERSION v2)`);
const version = await con.runAndReadAll('SELECT version()');
console.log('DuckDB', version.getRows()[0][0], 'wrote', out + '/duckdb_zstd_v1.parquet and duckdb_snappy_v2.parquet');
const enc = await con.runAndReadAll(`SELECT path_in_schema, compression, encodings FROM parquet_metadata('${out}/duckdb_snappy_v2.parquet')`);
for (const row of enc.getRows()) {
  console.log('  v2', row.join(' '));
}
