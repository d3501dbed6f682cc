#!/usr/bin/env bash
# Browser end-to-end tests: installs what is missing (Debian's Chromium,
# Node.js, playwright-core from the lock file), then runs the tests, which
# build and start the real server. Screenshots go to e2e/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# Chinese text in the zh-CN screenshots needs a CJK font.
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "e2e: installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "e2e: Node.js 20 or newer is needed (found $(node --version)): playwright-core and node --test need it" >&2
  exit 1
fi

want=$(node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "try { require('./node_modules/playwright-core/package.json').version } catch { '' }")
if [ "$want" != "$have" ]; then
  echo "e2e: npm ci (playwright-core $want)"
  npm ci --no-audit --no-fund --loglevel=error
fi

mkdir -p artifacts
# A clean slate: screenshots and frame traces of an earlier run go.
find artifacts -maxdepth 2 \( -name '*.png' -o -name 'frames-*' \) -delete
node --test --test-concurrency=1 --test-reporter=spec tests/
