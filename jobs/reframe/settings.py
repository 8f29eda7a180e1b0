# jobs/reframe/settings.py: ReFrame 4 site configuration for the
# mpi4py-import check (reframe -C jobs/reframe/settings.py). A centre with
# its own configuration copies the system it needs and the logging block.
#
# Systems:
#   local:slurm   this machine's Slurm: the tests' throwaway slurmctld and
#                 slurmd (tests/helpers/slurmcluster.py; SLURM_CONF says which)
#   vcluster:vc   the virtual cluster of tools/vcluster (4 nodes, partition
#                 vc; eval "$(tools/vcluster/vcluster env --dir DIR)" first)
#   cori:haswell  an example for a Cori-like Cray XC (conf/cori.cfg)
#
# Both test clusters keep no accounting (AccountingStorageType=none), so
# ReFrame's `slurm` backend, which polls job states with sacct, cannot
# follow their jobs: they use the `squeue` backend, which polls squeue and
# takes a job gone from the queue as done. The check reads the harness's
# JSON, not the job's exit code, so it loses nothing by that. A site with
# slurmdbd (Cori) uses `slurm`.
#
# Neither test system can be told from the other by hostname (the virtual
# cluster's head is this machine), so name one with --system.

# The perflog: one line per performance variable (perflog_multiline), so
# each line is one figure of one run, next to the run's identity. Columns,
# separated by |:
#   completion time | system:partition | test | filesystem | suite | scale |
#   nodes | ranks | job id | variable | value | unit | reference | lower |
#   upper | the variable's result | the test's result
# The variables are named after the results table's columns (README,
# "ReFrame").
PERFLOG_FORMAT = ('%(check_job_completion_time)s|%(check_system)s:%(check_partition)s|'
                  '%(check_name)s|%(check_filesystem)s|%(check_suite)s|%(check_scale)s|'
                  '%(check_nodes)s|%(check_ranks)s|%(check_jobid)s|'
                  '%(check_perf_var)s|%(check_perf_value)s|%(check_perf_unit)s|'
                  '%(check_perf_ref)s|%(check_perf_lower_thres)s|%(check_perf_upper_thres)s|'
                  '%(check_perf_result)s|%(check_result)s')

site_configuration = {
    'systems': [
        {
            'name': 'cori',
            'descr': 'Cori-like Cray XC40 (Haswell, 32 cores a node): an example',
            'hostnames': [r'^cori\d+'],
            # Environment Modules (ReFrame 4 no longer drives Modules 3.2).
            'modules_system': 'envmod',
            'partitions': [
                {
                    'name': 'haswell',
                    'descr': 'Haswell compute nodes',
                    # slurmdbd keeps accounting there: sacct follows the jobs.
                    'scheduler': 'slurm',
                    'launcher': 'srun',
                    # conf/cori.cfg's slurm block, as the generated jobs have it.
                    'access': ['--constraint=haswell', '--account=mpccc', '--partition=regular',
                               '--qos=normal', '--licenses=SCRATCH'],
                    'sched_options': {'use_nodes_option': True},
                    'environs': ['python_base'],
                    'max_jobs': 4,
                    'processor': {'num_cpus': 32},
                }
            ],
        },
        {
            'name': 'vcluster',
            'descr': 'The virtual cluster of tools/vcluster (conf/vcluster.cfg)',
            'hostnames': [],
            'partitions': [
                {
                    'name': 'vc',
                    'descr': 'node1..nodeN, /shared over sshfs',
                    'scheduler': 'squeue',
                    'launcher': 'srun',
                    'access': ['--partition=vc'],
                    'sched_options': {'use_nodes_option': True},
                    'environs': ['builtin'],
                    'max_jobs': 1,
                }
            ],
        },
        {
            'name': 'local',
            'descr': "This machine under the tests' own single-node Slurm",
            'hostnames': ['.*'],
            'partitions': [
                {
                    'name': 'slurm',
                    'descr': 'partition debug of tests/helpers/slurmcluster.py',
                    'scheduler': 'squeue',
                    'launcher': 'srun',
                    'access': ['--partition=debug'],
                    'sched_options': {'use_nodes_option': True},
                    'environs': ['builtin'],
                    # One run at a time: runs at once would time each other.
                    'max_jobs': 1,
                }
            ],
        },
    ],
    'environments': [
        # ReFrame's own 'builtin' serves the test systems: the check builds
        # nothing. conf/cori.cfg's env_setup: the python the venv was made from.
        {'name': 'python_base', 'modules': ['python_base'], 'target_systems': ['cori']},
    ],
    'logging': [
        {
            'level': 'debug',
            'handlers': [
                {'type': 'stream', 'name': 'stdout', 'level': 'info', 'format': '%(message)s'},
                {'type': 'file', 'name': 'reframe.log', 'level': 'debug',
                 'format': '[%(asctime)s] %(levelname)s: %(check_info)s: %(message)s', 'append': False},
            ],
            'perflog_multiline': True,
            'handlers_perflog': [
                {
                    'type': 'filelog',
                    'prefix': '%(check_system)s/%(check_partition)s',
                    'level': 'info',
                    'format': PERFLOG_FORMAT,
                    'datefmt': '%FT%T%:z',
                    'append': True,
                }
            ],
        }
    ],
}
