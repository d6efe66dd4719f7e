#!/usr/bin/env bash
# Installs the Debian packages the test suite and the embedded default need, if missing.
# Idempotent: does nothing (and needs no network) when everything is present.
set -euo pipefail

# prometheus ships promtool, which checks and unit-tests deploy/prometheus (make test).
packages=(espeak-ng redis-server postgresql-15 postgresql-15-pgaudit nginx wrk chromium docker-compose prometheus)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]} (run this script as root or install them)" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The packaged services are not started here: tests start private instances on free ports.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
