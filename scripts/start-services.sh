#!/usr/bin/env bash
# Start the local PostgreSQL the store tests use, if it is installed and not running.
# Tests of the PostgreSQL path skip, saying why, when it still cannot be reached.
set -u
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
