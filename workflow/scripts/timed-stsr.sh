#!/bin/sh
# Measurement aid for docs/cohort.md ("Measured on this machine"): call the CLI under
# /usr/bin/time -v (exact peak RSS) while holding /work/bench.lock (or $STSR_BENCH_LOCK), so that
# only one timed run uses the shared machine at a time, and log the load average before and after.
#   snakemake --cores 2 --config stsr="sh workflow/scripts/timed-stsr.sh"
# Everything goes to stderr, i.e. the rule's log; stdout stays the CLI's JSON.
lock=${STSR_BENCH_LOCK:-/work/bench.lock}
here=$(dirname "$0")
exec flock "$lock" sh -c '
  echo "load before: $(cat /proc/loadavg)" >&2
  /usr/bin/time -v node "$0" "$@"
  code=$?
  echo "load after: $(cat /proc/loadavg)" >&2
  exit $code
' "$here/../../bin/stsr.mjs" "$@"
