"""Database side of the dbt project tests, run by the dbt venv's python (it has the
duckdb and psycopg2 modules dbt-duckdb and dbt-postgres use).

  load <engine> <target> <schema> <warehouse.sql>
      seeds the demo's SQLite sample in memory and copies its tables, rows and planted
      defects into <schema> of the target (a DuckDB file or a PostgreSQL URL);
  exec <engine> <target> <script>
      runs a ';\n'-separated script, statement by statement;
  columns <engine> <target> <schema>
      prints {table: [[column, data_type], ...]} of every table in <schema> as JSON;
  query <engine> <target> <sql>
      prints the first column of the first row.
"""

import json
import sqlite3
import sys

TYPES = {"INTEGER": "INTEGER", "TEXT": "VARCHAR", "REAL": "DOUBLE PRECISION",
         "TIMESTAMP": "TIMESTAMP", "DATE": "DATE"}


def connect(engine, target):
    if engine == "duckdb":
        import duckdb
        return duckdb.connect(target)
    import psycopg2
    conn = psycopg2.connect(target)
    conn.autocommit = True
    return conn


def run(conn, sql, params=None):
    cur = conn.cursor()
    cur.execute(sql, params) if params is not None else cur.execute(sql)
    return cur


def load(engine, target, schema, seed):
    src = sqlite3.connect(":memory:")
    src.executescript(open(seed).read())
    conn = connect(engine, target)
    run(conn, f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    tables = [r[0] for r in src.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
    for table in tables:
        cols = list(src.execute(f'PRAGMA table_info("{table}")'))
        ddl = ", ".join(f'"{c[1]}" {TYPES[c[2]]}' for c in cols)
        run(conn, f'CREATE TABLE "{schema}"."{table}" ({ddl})')
        rows = list(src.execute(f'SELECT * FROM "{table}"'))
        marks = ", ".join(["%s" if engine == "postgres" else "?"] * len(cols))
        cur = conn.cursor()
        cur.executemany(f'INSERT INTO "{schema}"."{table}" VALUES ({marks})', rows)
    if engine == "duckdb":
        conn.close()


def execute(engine, target, script):
    conn = connect(engine, target)
    for statement in open(script).read().split(";\n"):
        if statement.strip():
            run(conn, statement)
    if engine == "duckdb":
        conn.close()


def columns(engine, target, schema):
    conn = connect(engine, target)
    out = {}
    for table, column, *data_type in run(conn, (
            "SELECT table_name, column_name, data_type, character_maximum_length, "
            "numeric_precision, numeric_scale FROM information_schema.columns "
            f"WHERE table_schema = '{schema}' ORDER BY table_name, ordinal_position")).fetchall():
        out.setdefault(table, []).append([column, " ".join(str(t) for t in data_type)])
    print(json.dumps(out))


def query(engine, target, sql):
    row = run(connect(engine, target), sql).fetchone()
    print(json.dumps(None if row is None else str(row[0])))


if __name__ == "__main__":
    command, engine, target, *rest = sys.argv[1:]
    {"load": load, "exec": execute, "columns": columns, "query": query}[command](
        engine, target, *rest)
