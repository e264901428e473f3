#!/usr/bin/env bash
# Benchmark (not a test): the same 10 checks on the same 1,000,000-row PostgreSQL table
# (`dana_bench_dba.orders`, created by `cargo bench --bench quality_dba`), run three ways,
# each as a user runs it from a shell, wall clock including process start:
#   dana              `dana check bench checks.yaml` (one shared scan + own statements)
#   dbt test          the dbt tests dana exports for those checks (`sources:`, generic tests
#                     and dana's shipped generic tests), dbt-postgres, threads 4
#   datacontract test dana's ODCS contract of the table with the checks' SQL quality rules
#                     (datacontract-cli also checks the schema: types and required fields)
# DANA_BENCH_ROWS (default 1000000) below a million copies the first that many orders (and
# all customers) into schema `dana_bench_small` and runs there: the size of the sample
# databases where tool start-up, not the scan, dominates.
# Side by side, alternating, medians of DANA_BENCH_RUNS (default 5). Prints the figures and
# the ratios. Needs: DANA_TEST_POSTGRES_URL, a release `dana` (built here unless DANA_BIN names one), dbt from
# DANA_TEST_DBT (default ~/.cache/dana-ci/venv-dbt/bin/dbt) and datacontract from
# DANA_DATACONTRACT (default ~/.cache/dana-ci/venv-dc/bin/datacontract; install with
# `python3 -m venv ~/.cache/dana-ci/venv-dc && ~/.cache/dana-ci/venv-dc/bin/pip install
# 'datacontract-cli[postgres]'`). A missing peer is reported and skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${DANA_TEST_POSTGRES_URL:?set DANA_TEST_POSTGRES_URL}"
runs="${DANA_BENCH_RUNS:-5}"
cache="${DANA_CI_CACHE:-$HOME/.cache/dana-ci}"
dbt="${DANA_TEST_DBT:-$cache/venv-dbt/bin/dbt}"
dc="${DANA_DATACONTRACT:-$cache/venv-dc/bin/datacontract}"
if [ -z "${DANA_BIN:-}" ]; then cargo build --release --quiet --bin dana; fi
dana="${DANA_BIN:-$PWD/target/release/dana}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

have=$(psql "$DANA_TEST_POSTGRES_URL" -Atc "SELECT count(*) FROM dana_bench_dba.orders" 2>/dev/null || echo 0)
if [ "$have" -lt 1000000 ]; then
  echo "dana_bench_dba.orders is missing: run \`cargo bench --bench quality_dba\` first" >&2
  exit 1
fi
rows="${DANA_BENCH_ROWS:-1000000}"
schema=dana_bench_dba
if [ "$rows" -lt 1000000 ]; then
  schema=dana_bench_small
  psql "$DANA_TEST_POSTGRES_URL" -q -v ON_ERROR_STOP=1 <<EOF
DROP SCHEMA IF EXISTS $schema CASCADE;
CREATE SCHEMA $schema;
CREATE TABLE $schema.customers AS SELECT * FROM dana_bench_dba.customers;
CREATE TABLE $schema.orders AS SELECT * FROM dana_bench_dba.orders ORDER BY order_id LIMIT $rows;
ANALYZE $schema.customers;
ANALYZE $schema.orders;
EOF
fi
echo "table: $schema.orders, $rows rows"

# The workspace and the checks (the same table spec as the quality_dba bench).
cat > "$work/dana.toml" <<EOF
[datasources.bench]
url_env = "DANA_TEST_POSTGRES_URL"
allow_write_capable_role = true
schema = "$schema"
statement_timeout_ms = 600000
EOF
cat > "$work/spec.json" <<EOF
{"name": "orders", "schema": "$schema",
 "columns": [
  {"name": "order_id", "unique": true},
  {"name": "customer_id", "nullable": false},
  {"name": "amount", "min": 0, "max": 100000},
  {"name": "quantity", "min": 0, "max": 9},
  {"name": "status", "accepted_values": ["new", "paid", "shipped", "done", "void"]},
  {"name": "country", "accepted_values": ["DE", "FR", "US", "GB"]},
  {"name": "email", "nullable": false, "pattern": "^[^@]+@[^@]+$"},
  {"name": "created_at"}],
 "foreign_keys": [{"columns": ["customer_id"], "ref_table": "customers", "ref_columns": ["customer_id"]}],
 "volume": {"min_rows": 1000}}
EOF
python3 -c "import json,sys; print(json.dumps({'tables': [json.load(open(sys.argv[1]))]}))" "$work/spec.json" > "$work/checks.json"
(cd "$work" && "$dana" call generate_quality_checks \
  --args "{\"table\": $(cat spec.json), \"dialect\": \"postgres\", \"formats\": [\"dbt\", \"odcs\"]}" > generated.json)
(cd "$work" && "$dana" call generate_data_contract \
  --args '{"table": {"datasource": "bench", "table": "orders"}}' 2>/dev/null > contract.json)

# The dbt project.
mkdir -p "$work/dbt/models" "$work/dbt/tests/generic"
python3 - "$work" "$DANA_TEST_POSTGRES_URL" "$schema" <<'EOF'
import json, sys, urllib.parse
work, url, schema = sys.argv[1], urllib.parse.urlparse(sys.argv[2]), sys.argv[3]
g = json.load(open(f"{work}/generated.json"))
open(f"{work}/dbt/models/schema.yml", "w").write(g["dbt_schema_yml"])
open(f"{work}/dbt/tests/generic/dana_tests.sql", "w").write(g["dbt_generic_tests"])
open(f"{work}/dbt/dbt_project.yml", "w").write(
    "name: dana_bench\nversion: '1.0'\nconfig-version: 2\nprofile: dana_bench\n"
    "model-paths: ['models']\ntest-paths: ['tests']\n")
open(f"{work}/dbt/profiles.yml", "w").write(
    "dana_bench:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n"
    f"      host: '{url.hostname}'\n      port: {url.port or 5432}\n"
    f"      user: '{url.username}'\n      password: '{url.password or ''}'\n"
    f"      dbname: '{url.path.lstrip('/')}'\n      schema: {schema}\n      threads: 4\n")
# The contract with the checks' SQL rules (replacing the contract's own) and the server
# datacontract-cli connects to.
import yaml
c = yaml.safe_load(json.load(open(f"{work}/contract.json"))["yaml"])
c["schema"][0]["quality"] = yaml.safe_load(g["odcs_quality"])["quality"]
c["servers"] = [{"server": "bench", "type": "postgres", "host": url.hostname,
                 "port": url.port or 5432, "database": url.path.lstrip("/"),
                 "schema": schema}]
open(f"{work}/contract.yaml", "w").write(yaml.safe_dump(c, sort_keys=False))

EOF

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_ms() { date +%s%3N; }
time_it() { # name, command...: appends one wall-clock figure (ms) to $work/<name>
  local name=$1; shift
  local t0; t0=$(now_ms)
  "$@" > "$work/$name.out" 2> "$work/$name.err" || true
  echo $(( $(now_ms) - t0 )) >> "$work/$name.ms"
}
# The floor: the minimal SQL a DBA would write for the same checks (the quality_dba bench's
# three statements), through psql.
sed "s/dana_bench_dba\./$schema./g" > "$work/dba.sql" <<'EOF'
SELECT count(*), count(*) FILTER (WHERE customer_id IS NULL), count(*) FILTER (WHERE email IS NULL),
  count(*) FILTER (WHERE amount < 0 OR amount > 100000), count(*) FILTER (WHERE quantity < 0 OR quantity > 9),
  count(*) FILTER (WHERE status NOT IN ('new', 'paid', 'shipped', 'done', 'void')),
  count(*) FILTER (WHERE country NOT IN ('DE', 'FR', 'US', 'GB')),
  count(*) FILTER (WHERE email !~ '^[^@]+@[^@]+$') FROM dana_bench_dba.orders;
SELECT COALESCE(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM dana_bench_dba.orders WHERE order_id IS NOT NULL GROUP BY order_id HAVING count(*) > 1) d;
SELECT count(*) FROM dana_bench_dba.orders o WHERE o.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dana_bench_dba.customers c WHERE c.customer_id = o.customer_id);
EOF
peers=(dba dana)
[ -x "$dbt" ] && peers+=(dbt) || echo "dbt not found at $dbt: skipped" >&2
[ -x "$dc" ] && peers+=(datacontract) || echo "datacontract not found at $dc: skipped" >&2
run_peer() {
  case $1 in
    dba) time_it dba psql "$DANA_TEST_POSTGRES_URL" -q -f "$work/dba.sql" ;;
    dana) time_it dana "$dana" check bench "$work/checks.json" --workspace "$work" --format json ;;
    dbt) time_it dbt env DBT_SEND_ANONYMOUS_USAGE_STATS=false "$dbt" test --project-dir "$work/dbt" --profiles-dir "$work/dbt" ;;
    datacontract) time_it datacontract env DATACONTRACT_POSTGRES_USERNAME="$(python3 -c 'import sys,urllib.parse;print(urllib.parse.urlparse(sys.argv[1]).username or "")' "$DANA_TEST_POSTGRES_URL")" \
        DATACONTRACT_POSTGRES_PASSWORD="$(python3 -c 'import sys,urllib.parse;print(urllib.parse.urlparse(sys.argv[1]).password or "trust-auth-ignores-it")' "$DANA_TEST_POSTGRES_URL")" \
        "$dc" test "$work/contract.yaml" ;;
  esac
}
# Warm-up (dbt parses its project, caches fill), then alternate the order of the peers.
for p in "${peers[@]}"; do run_peer "$p"; rm -f "$work/$p.ms"; done
echo "load before: $(cut -d' ' -f1 /proc/loadavg)"
for i in $(seq 1 "$runs"); do
  if [ $((i % 2)) -eq 0 ]; then order=("${peers[@]}"); else order=($(printf '%s\n' "${peers[@]}" | tac)); fi
  for p in "${order[@]}"; do run_peer "$p"; done
done
echo "load after: $(cut -d' ' -f1 /proc/loadavg)"
dana_ms=$(median < "$work/dana.ms")
printf '%-14s %8s ms  (median of %s)\n' dana "$dana_ms" "$runs"
for p in "${peers[@]}"; do
  [ "$p" = dana ] && continue
  ms=$(median < "$work/$p.ms")
  printf '%-14s %8s ms  %6.2f x dana\n' "$p" "$ms" "$(echo "$ms / $dana_ms" | bc -l)"
done
echo "--- what each found (planted: 2 duplicate order ids, 4 NULL e-mails, 10 orphans) ---"
python3 -c "
import json,sys
r=json.load(open(sys.argv[1]))
print('dana:', r['summary'], [x['id'] for x in r['results'] if x['status']!='pass'])" "$work/dana.out" || tail -5 "$work/dana.out"
[ -f "$work/dbt.out" ] && grep -E "Done\.|PASS=|FAIL " "$work/dbt.out" | tail -6 || true
[ -f "$work/datacontract.out" ] && grep -iE "failed|passed|error" "$work/datacontract.out" | tail -20 || true
