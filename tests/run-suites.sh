#!/usr/bin/env bash
# Runs every test suite; build.ps1 Test calls it inside `unshare -n`, so only loopback exists.
# Expects MAILOPS_TEST_RESULTS and MAILOPS_CONFIGURATION from build.ps1.
set -u
cd "$(dirname "$0")/.."
if [ "$(cat /sys/class/net/lo/operstate 2>/dev/null)" != "up" ] || ! ip -o addr show lo 2>/dev/null | grep -q 127.0.0.1; then
  ip link set lo up 2>/dev/null || true
fi
status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c "${MAILOPS_CONFIGURATION:-Release}" --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$MAILOPS_TEST_RESULTS" || status=1
done
dotnet pwsh -NoProfile -NonInteractive -File tests/pester/Invoke-PesterSuite.ps1 || status=1
exit $status
