#!/usr/bin/env bash
# Mutation testing of the certificate modules (mutmut 2.x: pip install -e .[dev]).
#
#   scripts/mutate_certificates.sh [module.py ...]     (default: every module below)
#
# Each module is mutated in a scratch copy of the tracked files (mutmut edits files in place),
# with only the tests that exercise it, on one thread; the survivors are printed at the end of
# each module's log in $OUT (default /tmp/deq-verify-mutants). CPU-heavy: about 5 s a mutant.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/deq-verify-mutants}
declare -A TESTS=(
  [symbolic/enclosure.py]="tests/test_enclosure.py tests/test_certificate_oracles.py::test_rounding_is_directed_at_the_printed_digit tests/test_certificate_oracles.py::test_float_ends_are_the_adjacent_floats_outside"
  [numeric/positive_definite.py]="tests/test_positive_definite.py tests/test_certificate_oracles.py -k 'shift or rayleigh or lambda_star or gao or norm'"
  [numeric/operator_norm.py]="tests/test_operator_norm.py tests/test_certificate_oracles.py -k 'norm or frobenius or degenerate or widening'"
  [numeric/gao_certificate.py]="tests/test_certificate_oracles.py tests/test_theorems.py -k 'gao or entry'"
  [symbolic/hermite_balls.py]="tests/test_certificate_oracles.py tests/test_certificates.py tests/test_local_contraction.py -k 'q_star or hermite or lambda_star or square or divergence_proof or jump or tail_bounds or correlation or entry'"
  [numeric/lambda_certificate.py]="tests/test_certificate_oracles.py tests/test_certificates.py -k 'lambda_star or correlation or shortfall or identity or tiny or row_blocks or local or entry'"
  [verify/recheck.py]="tests/test_recheck.py -k 'not fresh and not round_trip'"
)
MODULES=("$@")
[ ${#MODULES[@]} -eq 0 ] && MODULES=("${!TESTS[@]}")
mkdir -p "$OUT"
for module in "${MODULES[@]}"; do
  name=$(basename "$module" .py)
  tree="$OUT/$name"
  rm -rf "$tree" && mkdir -p "$tree"
  (cd "$ROOT" && git ls-files -z | xargs -0 -I{} cp --parents {} "$tree/")
  (
    cd "$tree"
    export PYTHONPATH="$tree" OMP_NUM_THREADS=1
    mutmut run --paths-to-mutate "$module" --no-progress --simple-output \
      --runner "python -m pytest -x -q -p no:cacheprovider -n 0 ${TESTS[$module]}" >"$OUT/$name.log" 2>&1 || true
    mutmut results >>"$OUT/$name.log" 2>&1 || true
  )
  echo "$module: $(grep -c . "$OUT/$name.log") log lines; survivors:"
  sed -n '/Survived/,$p' "$OUT/$name.log"
done
