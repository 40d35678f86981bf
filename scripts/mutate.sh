#!/usr/bin/env bash
# Mutation testing (mutmut 2.x: pip install -e .[dev]) of the modules whose rules decide what the
# user is told, each against only the tests that exercise it, one thread, in a scratch copy of
# the tracked files (mutmut edits files in place):
#
#   scripts/mutate.sh [module.py ...]          (default: every module of the table below)
#   TESTS_FOR="tests/test_x.py" scripts/mutate.sh module.py    (against other tests: a "before")
#
# The score and the survivors of each module go to $OUT/<name>.log (default
# /tmp/deq-verify-mutants); a summary line per module is printed. The tests run in one process
# (-n 0: no xdist workers), and a -k selects over every file named in the entry; --noconftest
# (no torch import, no seeding: for tests that need neither) halves the cost of each mutant. A surviving mutant is either
# killed by a new behavioural test or argued equivalent (see the README's development section).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/deq-verify-mutants}
declare -A TESTS=(
  [symbolic/relu.py]="tests/test_relu_recogniser.py"
  [symbolic/l2.py]="tests/test_soundness.py -k 'fast and not random' tests/test_l2.py"
  [symbolic/singular.py]="tests/test_singular.py tests/test_soundness.py -k 'fast and not random'"
  [symbolic/roots.py]="tests/test_singular.py"
  [symbolic/variance_range.py]="tests/test_singular.py -k range tests/test_gram.py -k divergence"
  [verify/theorems.py]="--noconftest tests/test_verdict_table.py tests/test_outcomes.py"
  [verify/verdicts.py]="tests/test_verdicts.py tests/test_theorems.py::test_ling_condition1_and_step_bound_by_hand tests/test_theorems.py::test_gao_rate_rules_refute_only_above_the_bound tests/test_theorems.py::test_gao_lambda0_is_decided_by_the_certificate_alone tests/test_training.py::test_the_guards_hold_all_along_not_only_at_the_end"
  [verify/study_store.py]="--noconftest tests/test_study_control.py -k 'not sigint and not sigterm and not two_study' tests/test_study.py::test_the_store_returns_the_rows_asked_for"
  [verify/study_grid.py]="--noconftest tests/test_study.py::test_keys_change_with_any_setting_and_seeds_follow_the_key tests/test_study.py::test_keys_change_with_the_version_of_the_tool tests/test_study.py::test_grid_parsing tests/test_study.py::test_bad_input_is_one_line_and_exit_two_before_any_work"
  [verify/study_cells.py]="tests/test_study_cells.py"
  [verify/report_folder.py]="--noconftest tests/test_report_folder.py tests/test_user_files.py::test_a_hostile_folder_is_refused_in_one_line_and_nothing_is_touched tests/test_user_files.py::test_the_issue_case_thesis_tex_survives_from_the_command_line"
  [numeric/datafile.py]="tests/test_datafile.py"
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
      --runner "python -m pytest -x -q -p no:cacheprovider -n 0 ${TESTS_FOR:-${TESTS[$module]}}" >"$OUT/$name.log" 2>&1 || true
    mutmut results >>"$OUT/$name.log" 2>&1 || true
  )
  echo "$module: $(grep -E '🎉|⏰|🤔|🙁|🔇' "$OUT/$name.log" | tail -1)"
done
