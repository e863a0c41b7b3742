# Shared by the bench scripts (sourced): best wall-clock time of a command.

# Best wall-clock time of ${RUNS:-3} runs of a command (stdout to $data/out,
# or to $out when set), in seconds.
best_of() {
  local best=""
  for _ in $(seq "${RUNS:-3}"); do
    local start end t
    # The last run's output goes before the clock starts: truncating a file
    # of 120 MB (1.3 GB with --explain) in the timed redirection cost up to
    # a tenth of a run, the shell's work, not the command's.
    rm -f "$data/out"
    start=$(date +%s.%N)
    "$@" > "${out:-$data/out}" || true
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
