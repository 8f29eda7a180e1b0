# jobs/job-body.sh: the body of every generated sbatch script, embedded
# into the harness at build time (build/gen/job_body.h); `harness --gen-jobs`
# writes the directives and the settings (harness, config, machine,
# filesystem, job_name, suite_args, ranks, log_dir, log_max_age_minutes,
# debug, stage, checks, launch_all, setup_env) above it. Not run alone.
#
# The seed's sequence, in order; a failing step marks the row with its
# name (setup, stage, checks, reserve, run, record) and the job exits
# with that step's status. Only shell variables vary from job to job.
# shellcheck shell=bash disable=SC2154
job_id=${SLURM_JOB_ID:-none}
step=start
result_id=
if [ ! -x "$harness" ]; then
    echo "job: no harness at $harness: build it (make) or regenerate the jobs" >&2
    exit 4
fi
step_err=$(mktemp "${TMPDIR:-/tmp}/mpi4py-import-step.XXXXXX") || exit 4
trap 'rm -f "$step_err"' EXIT

# Prints the id of a newly reserved result row; returns --reserve's status.
reserve_row() {
    local id status
    id=$("$harness" --reserve --config "$config" --machine "$machine" --filesystem "$filesystem" \
        "${suite_args[@]}" --ranks "$ranks" 2>>"$step_err")
    status=$?
    [ "$status" -eq 0 ] || return "$status"
    id=$(printf '%s\n' "$id" | tail -n 1 | tr -d '[:space:]')
    case $id in
        ''|*[!0-9]*) echo "job: --reserve printed '$id', not a row id" >>"$step_err"; return 5 ;;
    esac
    printf '%s\n' "$id"
}

# fail STATUS [WHY]: marks the row failed at $step and exits STATUS. A
# failure before the reservation reserves a row first: every job leaves
# its mark. WHY defaults to the harness's last error line in the step,
# not the launcher's note that a task exited.
fail() {
    local status=$1 why=${2:-}
    trap - TERM INT
    [ "$status" -ne 0 ] || status=1
    [ -n "$why" ] || why=$(grep '^harness: ' "$step_err" | tail -n 1)
    [ -n "$why" ] || why=$(grep -v '^[[:space:]]*$' "$step_err" | tail -n 1)
    [ -n "$why" ] || why="exit status $status"
    echo "job: step $step failed (status $status): $why" >&2
    [ -n "$result_id" ] || result_id=$(reserve_row)
    if [ -z "$result_id" ]; then
        echo "job: no result row could be reserved to record the failure" >&2
    elif ! "$harness" --mark-failed --config "$config" --result-id "$result_id" --step "$step" \
            --message "$why"; then
        echo "job: could not mark row $result_id failed at step $step" >&2
    fi
    exit "$status"
}
# A signal cuts the step short: what the step wrote to stderr so far
# (not yet shown: see run_step) still goes to the log.
interrupted() {
    cat "$step_err" >&2
    fail "$1" "$2"
}
# Slurm's time limit and scancel send TERM, then KILL after KillWait.
trap 'interrupted 143 "terminated by a signal (time limit or scancel)"' TERM
trap 'interrupted 130 "interrupted"' INT

# Each step names itself in the log, so a reader sees where a job stopped.
begin_step() {
    step=$1
    echo "job: step $step"
}

# run_step NAME CMD...: CMD as the job step NAME; its stderr goes to the
# job's log after it ends, and its last line names the failure. Once
# shown it is emptied, so that a signal later shows only what is new.
run_step() {
    begin_step "$1"
    shift
    "$@" 2>"$step_err"
    local status=$?
    cat "$step_err" >&2
    [ "$status" -eq 0 ] || fail "$status"
    : >"$step_err"
}

# The seed's environment for the scale run: the database client's
# settings gone and no PYTHONPATH. Rank 0 records through the config's
# conninfo; what it cannot send is spooled for the record step.
scale_run() (
    for var in $(compgen -e); do
        case $var in PG*|PYTHONPATH) unset "$var" ;; esac
    done
    # Slurm's PMIx plugin completes MPI_Init's fence without data on each
    # node alone when TreeWidth exceeds the job's nodes: Open MPI's ranks
    # then crash inside MPI_Init (README, "The launch: a crash inside
    # MPI_Init"). The ring fence is a real barrier; a site may set its own.
    export SLURM_PMIX_FENCE="${SLURM_PMIX_FENCE:-ring}"
    # The stamp is taken as the launcher starts, as the original's
    # `srun python driver.py $(date +%s)` did: launch_s and original_s.
    exec "${launch_all[@]}" "$harness" --config "$config" --machine "$machine" \
        --filesystem "$filesystem" "${suite_args[@]}" --result-id "$result_id" --json "$log_dir/$job_name-$job_id.json" \
        --launch-start "$(date +%s.%N)"
)

# Old job logs go; a failure to prune them is reported, never fatal.
prune_logs() {
    [ "$log_max_age_minutes" -gt 0 ] || return 0
    find "$log_dir" -maxdepth 1 -type f \( -name 'slurm-*-mpi4py-import-*.out' \
        -o -name '*-mpi4py-import-*.json' \) -mmin "+$log_max_age_minutes" -print -delete \
        | sed 's/^/job: pruned old log /' >&2
}

echo "job: $job_name, Slurm job $job_id on $(hostname), $ranks ranks, filesystem $filesystem"
prune_logs
begin_step setup
setup_env
if [ "$debug" = 1 ]; then
    if command -v module >/dev/null 2>&1; then module list; fi
    set -x
fi
# One process, without a launcher: --stage-only then needs no MPI.
if [ "$stage" = 1 ]; then
    run_step stage "$harness" --stage-only --config "$config" --machine "$machine" \
        --filesystem "$filesystem"
fi
if [ "$checks" = 1 ]; then
    run_step checks "$harness" --checks-only --config "$config" --machine "$machine" \
        --filesystem "$filesystem" "${suite_args[@]}"
fi
begin_step reserve
: >"$step_err"
result_id=$(reserve_row)
status=$?
cat "$step_err" >&2
if [ "$status" -ne 0 ]; then
    result_id=
    fail "$status"
fi
# srun has been seen to exit 0 when its tasks failed to launch: the run
# counts as done only if it wrote its result.
rm -f "$log_dir/$job_name-$job_id.json"
: >"$step_err"
run_step run scale_run
if [ ! -s "$log_dir/$job_name-$job_id.json" ]; then
    echo "harness: the run ended without writing $log_dir/$job_name-$job_id.json: its launch failed" \
        >"$step_err"
    cat "$step_err" >&2
    fail 4
fi
run_step record "$harness" --flush-spool --config "$config"
echo "job: done, result row $result_id"
exit 0
