#!/usr/bin/env bash
# Installs what the browser tiers (webviews in headless Chromium, e2e in code-server) drive:
# Debian's Chromium at /usr/bin/chromium. Playwright's own browser download is not used (it fails
# offline and on many users' machines); Debian's package comes from the distribution's mirror.
# Later runs find it and return at once. SIGHTLINE_E2E_CHROMIUM names another binary instead.
set -euo pipefail

CHROMIUM="${SIGHTLINE_E2E_CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
  echo "chromium ready: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [[ "$CHROMIUM" != /usr/bin/chromium ]]; then
  echo "SIGHTLINE_E2E_CHROMIUM=$CHROMIUM is not an executable file" >&2
  exit 1
fi
if ! command -v apt-get > /dev/null; then
  echo "no /usr/bin/chromium and no apt-get: install Chromium from your distribution, or set SIGHTLINE_E2E_CHROMIUM" >&2
  exit 1
fi

echo "installing Debian chromium (the webview and e2e tests drive it headless; about 1 minute)"
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends chromium > /tmp/sightline-chromium-install.log 2>&1 \
  || { $SUDO apt-get update > /dev/null 2>&1 && $SUDO apt-get install -y --no-install-recommends chromium >> /tmp/sightline-chromium-install.log 2>&1; } \
  || { tail -20 /tmp/sightline-chromium-install.log >&2; exit 1; }
"$CHROMIUM" --version
