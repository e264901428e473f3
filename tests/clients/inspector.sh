#!/usr/bin/env bash
# End-to-end check of dana under the MCP Inspector CLI (npm @modelcontextprotocol/inspector):
# list tools, call one, and read a structured result.
# Usage: inspector.sh INSPECTOR_BIN DANA_BINARY WORKSPACE
set -euo pipefail
inspector=$1 dana=$2 workspace=$3
list=$("$inspector" --cli "$dana" --workspace "$workspace" serve --method tools/list)
echo "$list" | python3 -c '
import json, sys
tools = {t["name"] for t in json.load(sys.stdin)["tools"]}
assert "score_infrastructure" in tools and "start_project" in tools, tools
print(f"ok: inspector tools/list: {len(tools)} tools")'
call=$("$inspector" --cli "$dana" --workspace "$workspace" serve --method tools/call \
  --tool-name start_project --tool-arg name=inspector-check --tool-arg "id=inspector-$$")
echo "$call" | python3 -c '
import json, sys
result = json.load(sys.stdin)
assert not result.get("isError"), result
assert result["structuredContent"]["current_phase"] == "discover", result
print("ok: inspector tools/call start_project: phase", result["structuredContent"]["current_phase"])'
# The calls whose results strict clients once rejected (a `null` the listed output schema
# did not allow): a triage without a pipeline, a runbook without one, costs without a budget.
check_call() {
  local tool=$1; shift
  local args=()
  for a in "$@"; do args+=(--tool-arg "$a"); done
  "$inspector" --cli "$dana" --workspace "$workspace" serve --method tools/call --tool-name "$tool" "${args[@]}" \
    | python3 -c '
import json, sys
tool = sys.argv[1]
result = json.load(sys.stdin)
assert not result.get("isError"), result
assert isinstance(result.get("structuredContent"), dict), result
nulls = [k for k, v in result["structuredContent"].items() if v is None]
assert not nulls, (tool, nulls)
print(f"ok: inspector tools/call {tool}")' "$tool"
}
check_call triage_failure "error=java.lang.OutOfMemoryError: Java heap space"
check_call generate_runbook kind=disaster_recovery
check_call review_costs 'pipelines=[{"name":"orders_sync","compute_usd":900}]'
