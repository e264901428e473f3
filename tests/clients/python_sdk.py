"""End-to-end check of dana under the official Python MCP SDK (PyPI `mcp`), a client
nobody on the dana team wrote and one that validates every structured result against the
tool's output schema (a mismatch raises "Invalid structured content"). Over stdio and over
streamable HTTP it initializes, lists tools, prompts and resources, and calls EVERY tool
with each input of tests/clients/calls.json (the calls tests/it/answers.rs makes too), in
a workspace made by `dana demo`: datasource `warehouse`, project `retail`.

Usage: python python_sdk.py DANA_BINARY DEMO_WORKSPACE [HTTP_URL]
The HTTP server must serve DEMO_WORKSPACE too. Exits non-zero (with the reasons) on any
failure.
"""

import asyncio
import json
import pathlib
import sys

from mcp import Client, StdioServerParameters

CALLS = json.loads((pathlib.Path(__file__).parent / "calls.json").read_text())["calls"]

SCORE_ARGS = {
    "dimensions": {
        "reliability": {"points": 20},
        "data_quality": {"points": 20},
        "performance": {"points": 15},
        "documentation": {"points": 10},
        "monitoring": {"points": 15},
        "testing": {"points": 0},
        "cost_efficiency": {"points": 1},
    }
}


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def exercise(client, label, failures):
    tools = await client.list_tools()
    names = {t.name for t in tools.tools}
    for tool in tools.tools:
        if tool.output_schema is None:
            failures.append(f"{label}: {tool.name} has no outputSchema")
    called = {}
    for call in CALLS:
        tool, args, what = call["tool"], call["args"], f"{label}: {call['tool']} ({call['label']})"
        if tool not in names:
            failures.append(f"{what}: not listed")
            continue
        try:
            # The SDK validates structured content against the listed output schema.
            result = await client.call_tool(tool, args)
        except Exception as e:  # noqa: BLE001 - any failure of the client is a finding
            failures.append(f"{what}: {e}")
            continue
        if "error" in call:
            if not result.is_error or call["error"] not in text_of(result):
                failures.append(f"{what}: expected an error with `{call['error']}`, got {text_of(result)[:200]}")
            continue
        if result.is_error:
            failures.append(f"{what}: failed: {text_of(result)[:300]}")
            continue
        if result.structured_content is None:
            failures.append(f"{what}: no structured content")
            continue
        summary = text_of(result)
        if not summary.startswith(f"{tool}:") or len(summary) > 2000:
            failures.append(f"{what}: text content is not a short summary: {summary[:200]}")
        called[tool] = called.get(tool, 0) + 1
    missing = sorted(names - set(called))
    if missing:
        failures.append(f"{label}: tools never answered: {missing}")
    result = await client.call_tool("score_infrastructure", SCORE_ARGS)
    if result.structured_content["total"] != 81:
        failures.append(f"{label}: score total {result.structured_content['total']}, expected 81")
    bad = await client.call_tool("score_infrastructure", {"dimensions": {"reliability": {"points": 99}}})
    if not bad.is_error:
        failures.append(f"{label}: out-of-range points should be an error result")
    prompts = await client.list_prompts()
    if not any(p.name == "audit_infrastructure" for p in prompts.prompts):
        failures.append(f"{label}: prompt audit_infrastructure not listed")
    prompt = await client.get_prompt("audit_infrastructure", {"scope": "orders"})
    if "orders" not in str(prompt.messages):
        failures.append(f"{label}: prompt not rendered with its argument")
    resources = await client.list_resources()
    uris = [str(r.uri) for r in resources.resources]
    if "dana://playbooks/rubric" not in uris:
        failures.append(f"{label}: rubric playbook resource not listed")
    doc = await client.read_resource("dana://projects/retail/documents/discover")
    if "## Data Dictionary" not in str(doc.contents):
        failures.append(f"{label}: phase document resource unreadable")
    answered = sum(called.values())
    print(f"ok: {label}: {len(names)} tools, {answered} calls answered and validated by the SDK, "
          f"{len(prompts.prompts)} prompts, {len(uris)} resources")


async def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    binary, workspace = sys.argv[1], sys.argv[2]
    failures = []
    params = StdioServerParameters(command=binary, args=["--workspace", workspace, "serve"])
    async with Client(params, mode="legacy") as client:
        await exercise(client, "python-sdk stdio", failures)
    if len(sys.argv) > 3:
        async with Client(sys.argv[3], mode="legacy") as client:
            await exercise(client, "python-sdk http", failures)
    if failures:
        raise SystemExit("FAIL:\n" + "\n".join(failures))


asyncio.run(main())
