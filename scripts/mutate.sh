#!/usr/bin/env bash
# Mutation testing (mutmut 2.x: pip install -e .[dev]) of the modules whose rules decide what the
# user is told, each against only the tests that exercise it, one thread, in a scratch copy of
# the tracked files (mutmut edits files in place):
#
#   scripts/mutate.sh [module.py ...]          (default: every module of the table below)
#   TESTS_FOR="tests/test_x.py" scripts/mutate.sh module.py    (against other tests: a "before")
#   RESUME=1 scripts/mutate.sh module.py     (after adding tests: only the survivors run again)
#
# The score and the survivors of each module go to $OUT/<name>.log (default
# ${TMPDIR:-/tmp}/deq-verify-mutants); a summary line per module is printed. The tests run in one
# process (-n 0: no xdist workers), and a -k selects over every file named in the entry;
# --noconftest (no torch import, no seeding: for tests that need neither) halves the cost of each
# mutant. A surviving mutant is either killed by a new behavioural test or argued equivalent
# (docs/mutation.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-${TMPDIR:-/tmp}/deq-verify-mutants}
declare -A TESTS=(
  [symbolic/relu.py]="tests/test_relu_recogniser.py"
  [symbolic/l2.py]="tests/test_soundness.py tests/test_l2.py -k '(fast and not random) or test_l2'"
  [symbolic/singular.py]="tests/test_singular.py tests/test_soundness.py -k 'test_singular or (fast and not random)'"
  [symbolic/roots.py]="tests/test_singular.py"
  [symbolic/variance_range.py]="tests/test_singular.py tests/test_gram.py -k '(test_singular and range) or (test_gram and divergence)'"
  [symbolic/enclosure.py]="tests/test_enclosure.py tests/test_certificate_oracles.py::test_rounding_is_directed_at_the_printed_digit tests/test_certificate_oracles.py::test_float_ends_are_the_adjacent_floats_outside"
  [numeric/positive_definite.py]="tests/test_certificate_formulas.py tests/test_positive_definite.py tests/test_certificate_oracles.py -k 'shift or rayleigh or lambda_star or gao or norm or rump or underflow'"
  [numeric/operator_norm.py]="tests/test_certificate_formulas.py tests/test_operator_norm.py tests/test_certificate_oracles.py -k 'norm or frobenius or degenerate or widening or rump or underflow'"
  [numeric/gao_certificate.py]="tests/test_gao_allowances.py tests/test_certificate_oracles.py tests/test_theorems.py -k 'allowances or (oracles and (gao or entry)) or decided_by_the_certificate'"
  [symbolic/hermite_balls.py]="tests/test_hermite_balls_rules.py tests/test_certificate_oracles.py tests/test_certificates.py tests/test_local_contraction.py -k 'hermite_balls_rules or (q_star or hermite or square or divergence_proof or jump or tail_bounds) and not gelu and not swish'"
  [numeric/lambda_certificate.py]="tests/test_lambda_allowances.py tests/test_lambda_shortfall.py tests/test_certificate_oracles.py tests/test_certificates.py -k 'allowances or lambda_shortfall or oracles and (lambda_star or correlation) or certificates and (shortfall or identity or row_blocks or tiny)'"
  [verify/recheck.py]="tests/test_recheck_claims.py tests/test_recheck_formulas.py tests/test_recheck.py -k 'not fresh and not round_trip'"
  [verify/theorems.py]="--noconftest tests/test_verdict_table.py tests/test_outcomes.py"
  [verify/verdicts.py]="tests/test_verdicts.py tests/test_theorems.py::test_ling_condition1_and_step_bound_by_hand tests/test_theorems.py::test_gao_rate_rules_refute_only_above_the_bound tests/test_theorems.py::test_gao_lambda0_is_decided_by_the_certificate_alone tests/test_training.py::test_the_guards_hold_all_along_not_only_at_the_end"
  [verify/weight_scale.py]="tests/test_verdicts.py tests/test_user_files.py::test_the_refusal_rule_at_its_boundaries"
  [verify/study/store.py]="--noconftest tests/test_study_store_rules.py tests/test_user_files.py::test_a_study_store_that_is_not_ours_is_never_written tests/test_study_control.py -k 'not sigint and not sigterm and not two_study' tests/test_study.py::test_the_store_returns_the_rows_asked_for"
  [verify/study/grid.py]="--noconftest tests/test_study_grid.py tests/test_study.py::test_keys_change_with_any_setting_and_seeds_follow_the_key tests/test_study.py::test_keys_change_with_the_version_of_the_tool tests/test_study.py::test_grid_parsing tests/test_study.py::test_bad_input_is_one_line_and_exit_two_before_any_work"
  [verify/study/cells.py]="tests/test_study_cells.py"
  [verify/report_folder.py]="--noconftest tests/test_report_folder.py tests/test_user_files.py::test_a_hostile_folder_is_refused_in_one_line_and_nothing_is_touched tests/test_user_files.py::test_the_issue_case_thesis_tex_survives_from_the_command_line"
  [numeric/training.py]="tests/test_training.py tests/test_deq.py tests/test_api_objects.py::test_a_training_result_prints_its_numbers_not_its_tensors"
  [numeric/implicit.py]="tests/test_implicit_init.py tests/test_theorems.py -k 'gao or implicit or explicit or linear_width or gamma or drawn or equilibrium or draw or limit'"
  [numeric/datafile.py]="tests/test_datafile.py tests/test_datafile_rules.py"
)
MODULES=("$@")
[ ${#MODULES[@]} -eq 0 ] && MODULES=("${!TESTS[@]}")
for module in "${MODULES[@]}"; do  # refuse an unknown module before copying anything
  [[ -v "TESTS[$module]" || -n "${TESTS_FOR:-}" ]] || { echo "no tests for $module" >&2; exit 2; }
done
mkdir -p "$OUT"
for module in "${MODULES[@]}"; do
  name=$(basename "$module" .py)
  tree="$OUT/$name"
  # RESUME=1: keep the scratch copy's results (.mutmut-cache) and copy the files again over it:
  # after tests were added, mutmut re-runs only the survivors (a killed mutant stays killed)
  [ "${RESUME:-0}" = 1 ] && [ -f "$tree/.mutmut-cache" ] || { rm -rf "$tree" && mkdir -p "$tree"; }
  (cd "$ROOT" && git ls-files -z | xargs -0 -I{} cp --parents {} "$tree/")
  (
    cd "$tree"
    export PYTHONPATH="$tree" OMP_NUM_THREADS=1
    runner="python -m pytest"
    if [ "${FORK:-1}" = 1 ]; then  # torch, sympy, flint, pytest imported once (scripts/mutmut_forkserver.py)
      case "$module" in  # the packages below the module, which cannot import it
        verify/*) export MUTATE_PRELOAD=symbolic,numeric ;;
        numeric/*) export MUTATE_PRELOAD=symbolic ;;
        *) export MUTATE_PRELOAD= ;;
      esac
      rm -f "$tree/.forkserver"
      python scripts/mutmut_forkserver.py serve "$tree/.forkserver" >"$OUT/$name.server.log" 2>&1 &
      server=$!
      trap 'kill $server 2>/dev/null || true' EXIT
      for _ in $(seq 600); do [ -S "$tree/.forkserver" ] && break; sleep 0.1; done
      runner="python scripts/mutmut_forkserver.py run $tree/.forkserver"
    fi
    mutmut run --paths-to-mutate "$module" --no-progress --simple-output \
      --runner "$runner -x -q -p no:cacheprovider -n 0 ${TESTS_FOR:-${TESTS[$module]}}" >"$OUT/$name.log" 2>&1 || true
    mutmut results >>"$OUT/$name.log" 2>&1 || true
    [ -z "${server:-}" ] || kill "$server" 2>/dev/null || true
  )
  # mutmut's own statuses: ok_killed and ok_suspicious (killed, slowly) count as killed
  echo "$module: $(cd "$tree" && python - <<'PY'
import os
import sqlite3
if not os.path.exists(".mutmut-cache"):
    raise SystemExit("no result: mutmut did not run (see the log)")
rows = dict(sqlite3.connect(".mutmut-cache").execute("select status, count(*) from Mutant group by status"))
killed = rows.get("ok_killed", 0) + rows.get("ok_suspicious", 0)
total = sum(rows.values())
print(f"{killed}/{total} killed ({100 * killed / max(total, 1):.1f}%), " + ", ".join(f"{k} {v}" for k, v in sorted(rows.items())) + ("  (UNTESTED mutants: the baseline run failed?)" if rows.get("untested") else ""))
PY
)"
done
