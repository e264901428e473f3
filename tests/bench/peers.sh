#!/usr/bin/env bash
# Installs the peer servers (npm, PyPI) into a cache folder and runs the side-by-side
# benchmark `cargo bench --bench peers`. Usage: bash tests/bench/peers.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cache="${DANA_CI_CACHE:-$HOME/.cache/dana-ci}"
mkdir -p "$cache/npm-peers"
if [ ! -f "$cache/npm-peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js" ]; then
  (cd "$cache/npm-peers" && npm init -y >/dev/null && npm install --no-audit --no-fund @modelcontextprotocol/server-everything@2026.8.31 >/dev/null)
fi
if [ ! -x "$cache/venv-sqlite/bin/mcp-server-sqlite" ]; then
  python3 -m venv "$cache/venv-sqlite"
  "$cache/venv-sqlite/bin/pip" install -q "mcp<2" "mcp-server-sqlite==2025.4.25"
fi
export DANA_PEER_EVERYTHING="$cache/npm-peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
export DANA_PEER_SQLITE="$cache/venv-sqlite/bin/mcp-server-sqlite"
cargo bench --bench peers
