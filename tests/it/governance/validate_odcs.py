"""Validates ODCS data contracts (YAML files given as arguments) with the
`open-data-contract-standard` package: its pydantic model and its shipped JSON schema.
Prints one line per file; exits 1 if any file is invalid."""
import json
import sys

import jsonschema
import yaml
from open_data_contract_standard.model import OpenDataContractStandard

schema = json.loads(OpenDataContractStandard.json_schema())
validator = jsonschema.Draft201909Validator(schema)
failed = False
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    errors = sorted(validator.iter_errors(yaml.safe_load(text)), key=lambda e: list(e.path))
    try:
        OpenDataContractStandard.from_string(text)
    except Exception as e:  # pydantic.ValidationError
        errors.append(e)
    if errors:
        failed = True
        for e in errors:
            where = "/".join(str(p) for p in getattr(e, "path", []))
            print(f"INVALID {path} {where}: {getattr(e, 'message', e)}")
    else:
        print(f"VALID {path}")
sys.exit(1 if failed else 0)
