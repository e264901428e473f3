"""Runs a Great Expectations suite that dana generated against the table it names.

Usage: python run_suite.py SUITE_JSON SQLALCHEMY_URL [RESULT_JSON]

The suite's meta.dana holds the table (and schema); the validation result is written as
JSON to RESULT_JSON (else printed). Exit status 0 when every expectation passed, 1 when
one failed. An ephemeral GX context is used: nothing is written besides RESULT_JSON.
Fixed text shipped by dana: no generated name or value appears in it.
"""

import json
import re
import sys

import great_expectations as gx
from great_expectations.core.expectation_suite import ExpectationSuite


def sql_name(name):
    """The table name as GX takes it: a name that is not plain lower case is wrapped in
    double quotes, which GX reads as "quote this exactly" (SQLAlchemy escapes it)."""
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return name
    return '"' + name + '"'


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    target = doc["meta"]["dana"]
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="dana", connection_string=argv[2])
    asset = source.add_table_asset(
        name="dana_table", table_name=sql_name(target["table"]), schema_name=target.get("schema")
    )
    batch = asset.add_batch_definition_whole_table("dana_all").get_batch()
    suite = context.suites.add(ExpectationSuite(**doc))
    result = batch.validate(suite, result_format="SUMMARY")
    text = json.dumps(result.to_json_dict(), indent=2, default=str)
    if len(argv) > 3:
        with open(argv[3], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        print(text)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
