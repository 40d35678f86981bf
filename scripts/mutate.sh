#!/usr/bin/env bash
# Mutation testing (mutmut 2.x: pip install -e .[dev]) of the modules whose rules decide what the
# user is told, each against only the tests that exercise it, one thread, in a scratch copy of
# the tracked files (mutmut edits files in place):
#
#   scripts/mutate.sh [module.py ...]          (default: every module of the table below)
#
# The score and the survivors of each module go to $OUT/<name>.log (default
# ${TMPDIR:-/tmp}/deq-verify-mutants); a summary line per module is printed. A surviving mutant is either
# killed by a new behavioural test or argued equivalent (see the README's development section).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-${TMPDIR:-/tmp}/deq-verify-mutants}
declare -A TESTS=(
  [symbolic/relu.py]="tests/test_relu_recogniser.py"
  [symbolic/l2.py]="tests/test_soundness.py -k 'fast and not random' tests/test_l2.py"
  [symbolic/singular.py]="tests/test_singular.py tests/test_soundness.py -k 'fast and not random'"
  [symbolic/roots.py]="tests/test_singular.py"
  [symbolic/variance_range.py]="tests/test_singular.py -k range tests/test_gram.py -k divergence"
  [symbolic/enclosure.py]="tests/test_enclosure.py tests/test_certificate_oracles.py::test_rounding_is_directed_at_the_printed_digit tests/test_certificate_oracles.py::test_float_ends_are_the_adjacent_floats_outside"
  [numeric/positive_definite.py]="tests/test_certificate_formulas.py tests/test_positive_definite.py tests/test_certificate_oracles.py -k 'shift or rayleigh or lambda_star or gao or norm or rump or underflow'"
  [numeric/operator_norm.py]="tests/test_certificate_formulas.py tests/test_operator_norm.py tests/test_certificate_oracles.py -k 'norm or frobenius or degenerate or widening or rump or underflow'"
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
      --runner "python -m pytest -x -q -p no:cacheprovider ${TESTS[$module]}" >"$OUT/$name.log" 2>&1 || true
    mutmut results >>"$OUT/$name.log" 2>&1 || true
  )
  # mutmut's own statuses: ok_killed and ok_suspicious (killed, slowly) count as killed
  echo "$module: $(cd "$tree" && python - <<'PY'
import sqlite3
rows = dict(sqlite3.connect(".mutmut-cache").execute("select status, count(*) from Mutant group by status"))
killed = rows.get("ok_killed", 0) + rows.get("ok_suspicious", 0)
total = sum(rows.values())
print(f"{killed}/{total} killed ({100 * killed / max(total, 1):.1f}%), " + ", ".join(f"{k} {v}" for k, v in sorted(rows.items())))
PY
)"
done
