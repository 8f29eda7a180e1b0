#!/bin/sh
# embed_body.sh: writes jobs/job-body.sh, less its leading comment block,
# as the C string job_body for jobscript.c. Usage: embed_body.sh IN OUT
set -eu
in=$1 out=$2
{
    echo "/* Generated from $in by harness/jobgen/embed_body.sh: do not edit. */"
    echo 'static const char job_body[] ='
    sed -e '/^[^#]/,$!d' -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$in"
    echo '    ;'
} >"$out.tmp"
mv "$out.tmp" "$out"
