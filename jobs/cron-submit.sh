#!/usr/bin/env bash
# jobs/cron-submit.sh: cron's entry point: submits one job script of a size,
# picked at random, unless a job of that name is already queued for this user.
set -u

usage() {
    cat <<'USAGE'
Usage: jobs/cron-submit.sh --size NAME [--jobs DIR] [--hold]

Picks at random one of the job scripts in DIR that `harness --gen-jobs`
wrote for size NAME (small, large, ...: the config's sizes) and submits it
with sbatch, unless squeue shows a job of the same name pending or running
for this user. The random pick and the queue wait spread the results over
the time of day. Prints one line saying what it did, prefixed with the UTC
time.

  --size NAME   the size to submit (required)
  --jobs DIR    where the job scripts are (default: build/jobs of this
                checkout; write them with
                build/harness --gen-jobs --config FILE --out DIR)
  --hold        submit the job held (sbatch --hold): it waits until
                `scontrol release ID`; a held job still counts as queued

Exit status: 0 submitted, 3 skipped (a job of that name is queued),
1 failed (no readable job directory, no script of that size, squeue or
sbatch failed), 2 bad usage.
USAGE
}

log() {
    printf '%s cron-submit: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

usage_error() {
    echo "cron-submit: $1" >&2
    usage >&2
    exit 2
}

size=
hold=
jobs_dir="$(cd "$(dirname "$0")/.." && pwd)/build/jobs"
while [ $# -gt 0 ]; do
    case $1 in
        --size|--jobs)
            [ $# -ge 2 ] || usage_error "$1 needs a value"
            if [ "$1" = --size ]; then size=$2; else jobs_dir=$2; fi
            shift 2 ;;
        --size=*) size=${1#*=}; shift ;;
        --jobs=*) jobs_dir=${1#*=}; shift ;;
        --hold) hold=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage_error "unknown argument '$1'" ;;
    esac
done
[ -n "$size" ] || usage_error "--size NAME is required"
case $size in *[!A-Za-z0-9._-]*) usage_error "size '$size' is not a size name" ;; esac
[ -d "$jobs_dir" ] || { log "failed: no job directory $jobs_dir (write it with harness --gen-jobs)"; exit 1; }
# Else the glob below would find nothing and blame the size.
if [ ! -r "$jobs_dir" ] || [ ! -x "$jobs_dir" ]; then
    log "failed: cannot read job directory $jobs_dir (permission denied for $(id -un))"
    exit 1
fi

# The size is read from the marker line --gen-jobs writes, not the file
# name, which carries the node count only.
scripts=()
for f in "$jobs_dir"/*.sh; do
    [ -f "$f" ] || continue
    if awk -v want="size=$size" '/^# mpi4py-import job: / { for (i = 4; i <= NF; i++) if ($i == want) found = 1 }
                                 END { exit !found }' "$f"; then
        scripts+=("$f")
    fi
done
if [ ${#scripts[@]} -eq 0 ]; then
    log "failed: no job script of size $size in $jobs_dir (write them with harness --gen-jobs)"
    exit 1
fi
script=${scripts[RANDOM % ${#scripts[@]}]}
name=$(sed -n 's/^#SBATCH --job-name=//p' "$script" | head -n 1)
if [ -z "$name" ]; then
    log "failed: $script has no #SBATCH --job-name line"
    exit 1
fi

user=$(id -un)
# Not knowing what is queued is a failure, not a licence to submit twice.
if ! queued=$(squeue --noheader --user "$user" --name "$name" --states PENDING,CONFIGURING,RUNNING \
        --format %i 2>&1); then
    log "failed: squeue for $name: $(printf '%s\n' "$queued" | tail -n 1)"
    exit 1
fi
if [ -n "$queued" ]; then
    log "skipped $name: job $(printf '%s' "$queued" | tr '\n' ' ' | sed 's/ *$//') already pending or running"
    exit 3
fi
if ! out=$(sbatch --parsable ${hold:+--hold} "$script" 2>&1); then
    log "failed: sbatch $script: $(printf '%s\n' "$out" | tail -n 1)"
    exit 1
fi
job=$(printf '%s\n' "$out" | tail -n 1)
log "submitted $name as job ${job%%;*}${hold:+ held} ($script)"
exit 0
