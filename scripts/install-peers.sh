#!/usr/bin/env bash
# Installs the real peers the integration tests start (Debian packages). As root it installs what is
# missing; otherwise it says what to install. Tests that need a missing peer fail under CI=true.
set -euo pipefail
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)  # feature store online-store test (cloud/features)
[ -x /usr/bin/chromium ] || need+=(chromium)  # dashboard end-to-end test (driven by playwright-core)
# Test oracles for the models and drift code (never runtime dependencies). Debian's own python, not a pyenv shim.
for mod in scipy sklearn onnx; do
  /usr/bin/python3 -c "import $mod" >/dev/null 2>&1 || need+=("python3-$mod")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test peers: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing test peers: ${need[*]} — install them with: sudo apt-get install ${need[*]}" >&2
  echo "(tests that need them are skipped locally and fail under CI=true)" >&2
fi
