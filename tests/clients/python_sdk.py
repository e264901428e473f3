"""End-to-end check of dana under the official Python MCP SDK (PyPI `mcp`), a client
nobody on the dana team wrote: over stdio and over streamable HTTP, it initializes, lists
tools, prompts and resources, calls a tool and reads the structured result, and sees a
tool error as an error result.

Usage: python python_sdk.py DANA_BINARY WORKSPACE [HTTP_URL]
Exits non-zero (with the reason) on any failure.
"""

import asyncio
import sys

from mcp import Client, StdioServerParameters

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


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")


async def exercise(client, label):
    tools = await client.list_tools()
    names = {t.name for t in tools.tools}
    check("score_infrastructure" in names, f"{label}: score_infrastructure listed ({sorted(names)})")
    for tool in tools.tools:
        check(tool.output_schema is not None, f"{label}: {tool.name} has an outputSchema")
    result = await client.call_tool("score_infrastructure", SCORE_ARGS)
    check(not result.is_error, f"{label}: score_infrastructure succeeded: {result.content}")
    structured = result.structured_content
    check(structured["total"] == 81, f"{label}: total 81, got {structured['total']}")
    check(structured["band"]["id"] == "BAND-EXCELLENT", f"{label}: band {structured['band']}")
    bad = await client.call_tool("score_infrastructure", {"dimensions": {"reliability": {"points": 99}}})
    check(bad.is_error, f"{label}: out-of-range points is an error result")
    prompts = await client.list_prompts()
    check(any(p.name == "audit_infrastructure" for p in prompts.prompts), f"{label}: prompt listed")
    prompt = await client.get_prompt("audit_infrastructure", {"scope": "orders"})
    check("orders" in str(prompt.messages), f"{label}: prompt rendered with its argument")
    resources = await client.list_resources()
    uris = [str(r.uri) for r in resources.resources]
    check("dana://playbooks/rubric" in uris, f"{label}: rubric playbook resource listed ({uris})")
    rubric = await client.read_resource("dana://playbooks/rubric")
    check("RUB-REL" in str(rubric.contents), f"{label}: rubric resource readable")
    print(f"ok: {label}: {len(names)} tools, {len(prompts.prompts)} prompts, {len(uris)} resources, score 81")


async def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    binary, workspace = sys.argv[1], sys.argv[2]
    params = StdioServerParameters(command=binary, args=["--workspace", workspace, "serve"])
    async with Client(params, mode="legacy") as client:
        await exercise(client, "python-sdk stdio")
    if len(sys.argv) > 3:
        async with Client(sys.argv[3], mode="legacy") as client:
            await exercise(client, "python-sdk http")


asyncio.run(main())
