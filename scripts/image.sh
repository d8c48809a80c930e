#!/usr/bin/env bash
# The production image's steps, in one place: the Dockerfile runs them, and .ci/run runs them on
# the clean clone (no Docker engine there), so what the image does is what CI proves.
#
#   scripts/image.sh build OUT   install, build everything, and assemble in OUT the app with its
#                                production dependencies only (the image's /app)
#   scripts/image.sh start       run the assembled app this script belongs to (the image's CMD);
#                                migrations are applied at boot
#   scripts/image.sh health      exit 0 when /healthz on $PORT (default 3000) answers 200 (HEALTHCHECK)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

build() {
  local out=$1
  cd "$HERE"
  npm ci --no-audit --no-fund
  node scripts/build.mjs --force
  rm -rf "$out"
  mkdir -p "$out"
  # What the server reads at run time: its compiled code, the shared workspaces it requires, the
  # migrations it applies at boot, the built SPA it serves. The other workspaces' package.json
  # files only keep the lock file valid for `npm ci`.
  cp -r --parents package.json package-lock.json backend/package.json backend/dist contract password-policy \
    prisma/schema.prisma prisma/migrations frontend/package.json frontend/dist/browser e2e/package.json bench/package.json \
    scripts/image.sh "$out"
  # production dependencies only: not dev, not the optional peers kept in the lock for the build
  # (prisma, typescript), not optional ones (the embedded PostgreSQL binaries: production uses
  # DATABASE_URL)
  (cd "$out" && npm ci --omit=dev --omit=peer --omit=optional --no-audit --no-fund --workspace @twofa/backend)
  # The generated Prisma client: generating it needs the `prisma` CLI, a dev dependency.
  mkdir -p "$out/node_modules/.prisma"
  cp -r node_modules/.prisma/client "$out/node_modules/.prisma/"
  # mail files (MAIL_TRANSPORT=file) and nothing else are written at run time
  mkdir -p "$out/.data"
  echo "image.sh: assembled in $out ($(du -sh "$out" | cut -f1))"
}

case "${1:-}" in
  build) build "${2:?usage: scripts/image.sh build OUT}" ;;
  start) exec node "$HERE/backend/dist/main.js" ;;
  health)
    # node, not curl: the slim image has no curl
    exec node -e 'fetch(`http://127.0.0.1:${process.argv[1]}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "${PORT:-3000}"
    ;;
  *)
    echo "usage: scripts/image.sh build OUT | start | health" >&2
    exit 2
    ;;
esac
