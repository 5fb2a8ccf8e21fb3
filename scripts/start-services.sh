#!/usr/bin/env bash
# What the tests need besides Python: a headless Chromium for the status board's browser
# test (Debian's chromium + chromium-driver, installed when missing and apt can), and the
# local PostgreSQL the store tests use (started if installed and not running). Tests that
# still lack one skip, saying why.
set -u

install_browser() {
  if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    return 0
  fi
  local apt=()
  if [ "$(id -u)" -eq 0 ]; then
    apt=(apt-get)
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    apt=(sudo -n apt-get)
  fi
  if [ ${#apt[@]} -eq 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: chromium/chromedriver missing and apt-get is not usable here; the browser test will be skipped" >&2
    return 0
  fi
  echo "installing chromium and chromium-driver for the status board's browser test" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${apt[@]}" install -y -q --no-install-recommends chromium chromium-driver >/dev/null 2>&1 \
    || { "${apt[@]}" update -q >/dev/null 2>&1 \
         && "${apt[@]}" install -y -q --no-install-recommends chromium chromium-driver >/dev/null 2>&1; } \
    || echo "warning: installing chromium failed; the browser test will be skipped" >&2
}

install_browser

if command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 -q; then
  exit 0
fi
if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | head -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 20); do
    pg_isready -h 127.0.0.1 -p 5432 -q && exit 0
    sleep 0.5
  done
  echo "warning: PostgreSQL did not come up; its tests will be skipped" >&2
else
  echo "note: no local PostgreSQL installation; its tests will be skipped" >&2
fi
exit 0
