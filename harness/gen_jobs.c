/* gen_jobs.c: --gen-jobs, the sbatch scripts written from the config:
 * placeholder until the jobs land (issue: jobs). */
#include "modes.h"

int gen_jobs_main(const struct options *o, struct err *e)
{
    (void)o;
    return err_set(e, EXIT_USAGE, "--gen-jobs is not built yet");
}
