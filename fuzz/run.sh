#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs them.
#   fuzz/run.sh TARGET SECONDS   fuzz one target for SECONDS
#   fuzz/run.sh all SECONDS      fuzz every target, SECONDS each, one a core at a time
#   fuzz/run.sh replay           run every seed and regression input once (what CI does first)
# Targets: safetensors config model_dir tokenizer tokenizer_json cli_args serve_requests. The working corpus grows in
# $ORDO_FUZZ_BUILD/corpus/TARGET (default build-fuzz/); the committed seeds in fuzz/corpus and
# the inputs of past crashes in fuzz/regressions are read, never written. A crash stops the run,
# keeps the input in $ORDO_FUZZ_BUILD/artifacts/TARGET/ and fails; fix the bug, then commit
# that input to fuzz/regressions/TARGET/ so CI replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ORDO_FUZZ_BUILD:-build-fuzz}
targets=(safetensors config model_dir tokenizer tokenizer_json cli_args serve_requests)

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
(($# >= 1)) || usage

# Line tables only (-g1): all a sanitizer's report needs, and quicker to build.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
  -DCMAKE_CXX_COMPILER=clang++-14 \
  -DORDO_FUZZ=ON -DORDO_BUILD_TESTS=OFF -DORDO_WERROR=ON >/dev/null
cmake --build "$build" -j"${ORDO_JOBS:-$(nproc)}" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

cores=$(nproc)  # before OMP_NUM_THREADS=1 below, which GNU nproc reports instead
# One thread: the engine's OpenMP loops are not what is being fuzzed, and a busy machine
# makes spinning workers slow. Leaks are checked (libFuzzer reports them per input).
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

max_len() {
  case $1 in
    safetensors) echo 16384 ;; model_dir) echo 32768 ;; tokenizer) echo 8192 ;; tokenizer_json) echo 16384 ;;
    config) echo 4096 ;; cli_args) echo 1024 ;; serve_requests) echo 4096 ;;
  esac
}

inputs_of() {  # the committed inputs of a target: seeds and regressions
  local target=$1
  mkdir -p "fuzz/regressions/$target"
  echo "fuzz/corpus/$target" "fuzz/regressions/$target"
}

replay() {
  local target status=0
  for target in "${targets[@]}"; do
    local files=(fuzz/corpus/"$target"/* )
    if compgen -G "fuzz/regressions/$target/*" >/dev/null; then
      files+=(fuzz/regressions/"$target"/*)
    fi
    printf '%-12s replaying %3d inputs ... ' "$target" "${#files[@]}"
    if "$build/fuzz/fuzz_$target" -runs=1 "${files[@]}" >"$build/replay_$target.log" 2>&1; then
      echo ok
    else
      echo "FAILED (see $build/replay_$target.log)"
      tail -30 "$build/replay_$target.log"
      status=1
    fi
  done
  return $status
}

fuzz_target() {
  local target=$1 seconds=$2
  local corpus="$build/corpus/$target" artifacts="$build/artifacts/$target/"
  local log="$build/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$build/logs"
  local status=0
  # shellcheck disable=SC2046
  "$build/fuzz/fuzz_$target" "$corpus" $(inputs_of "$target") \
    -dict="fuzz/dict/$target.dict" -max_len="$(max_len "$target")" \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
  if ((status == 72)); then  # libFuzzer's exit status when SIGINT or SIGTERM stopped it
    echo "$target: interrupted by a signal (not a finding); log $log" >&2
    return 1
  fi
  if ((status == 0)); then
    local stats
    stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed -E 's/^#[0-9]+[[:space:]]+DONE +//')
    printf '%-12s %5ss  execs %-9s %s\n' "$target" "$seconds" \
      "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" "$stats"
  else
    echo "$target: CRASH — input saved in $artifacts; log $log" >&2
    grep -E 'ERROR|property violated|SUMMARY|Test unit written' "$log" | head -20 >&2
    return 1
  fi
}

case $1 in
  replay) replay ;;
  all)
    (($# == 2)) || usage
    # As many targets at once as there are cores (ORDO_JOBS): each libFuzzer process runs on one
    # OpenMP thread, so every target still gets its SECONDS of a core, in less wall time.
    jobs=${ORDO_JOBS:-$cores} running=0 status=0
    for target in "${targets[@]}"; do
      if ((running >= jobs)); then
        wait -n || status=1
        running=$((running - 1))
      fi
      fuzz_target "$target" "$2" &
      running=$((running + 1))
    done
    for ((; running > 0; running--)); do wait -n || status=1; done
    exit $status
    ;;
  *)
    (($# == 2)) || usage
    [[ " ${targets[*]} " == *" $1 "* ]] || { echo "run.sh: unknown target '$1'" >&2; usage; }
    fuzz_target "$1" "$2"
    ;;
esac
