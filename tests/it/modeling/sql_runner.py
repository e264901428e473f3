"""Line-oriented SQL runner for dana's tests: DuckDB (executes) and sqlglot (parses).

One process serves a whole test (many statements, many property-test cases). Each
request is one JSON line on stdin, each answer one JSON line on stdout:

  {"sql": "...", "fetch": false}           -> {"ok": true}  | {"error": "..."}
  {"sql": "...", "fetch": true}            -> {"rows": [[text or null, ...], ...]} | {"error": ...}
  {"parse": "snowflake", "sql": "..."}      -> {"ok": true, "statements": n} | {"error": "..."}
  {"reset": true}                          -> {"ok": true}   (fresh in-memory DuckDB)

Needs the PyPI packages `duckdb` and `sqlglot` (installed by .ci/run).
"""

import json
import logging
import sys

import duckdb
import sqlglot
from sqlglot.errors import ErrorLevel


def text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def main():
    logging.disable(logging.WARNING)  # sqlglot's fallback warnings; reported as errors
    con = duckdb.connect(":memory:")
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request = json.loads(line)
        try:
            if request.get("reset"):
                con.close()
                con = duckdb.connect(":memory:")
                answer = {"ok": True}
            elif "parse" in request:
                parsed = sqlglot.parse(
                    request["sql"], read=request["parse"], error_level=ErrorLevel.RAISE
                )
                statements = [p for p in parsed if p is not None]
                opaque = [p for p in statements if isinstance(p, sqlglot.exp.Command)]
                if opaque:
                    # sqlglot gave up on the syntax and kept the text as an opaque command.
                    answer = {"error": f"sqlglot could not parse: {opaque[0].sql()[:80]}"}
                else:
                    answer = {"ok": True, "statements": len(statements)}
            elif request.get("fetch"):
                rows = con.execute(request["sql"]).fetchall()
                answer = {"rows": [[text(v) for v in row] for row in rows]}
            else:
                con.execute(request["sql"])
                answer = {"ok": True}
        except Exception as e:  # noqa: BLE001 - every failure is an answer
            answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
