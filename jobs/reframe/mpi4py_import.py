# jobs/reframe/mpi4py_import.py: the benchmark as a ReFrame 4 check.
#
# It builds nothing: it runs this checkout's build/harness (make) with srun
# under the partition's Slurm scheduler, on the harness config and machine
# that jobs/reframe/references.toml names for the ReFrame system:partition,
# reads the harness's --json result, and reports its figures as performance
# variables against the references of that file. Which file:
# $MPI4PY_IMPORT_REFERENCES, else references.toml beside this file.
#
#   build/tools-venv/bin/reframe -C jobs/reframe/settings.py \
#       -c jobs/reframe/mpi4py_import.py --system local:slurm -r
#
# Parameters: filesystem and suite (of the harness config), scale
# (N_node / N_nodes, as in the EESSI test suite: the job's node count).
# Each variant runs only on the partitions whose entry lists its
# filesystem, suite and scale.
import json
import math
import os
import re
import tomllib

import reframe as rfm
import reframe.utility.sanity as sn
from reframe.core.exceptions import SanityError
from reframe.core.builtins import parameter, run_after, run_before, sanity_function, variable

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCES = os.environ.get('MPI4PY_IMPORT_REFERENCES') or os.path.join(HERE, 'references.toml')
RESULT = 'result.json'

# Performance variables: name (the results table's column) -> unit and how
# to read it from the harness's JSON. A None on the way (no staging on an
# inplace filesystem, no strace) leaves the variable out.
PERF_VARS = {
    'elapsed_s': ('s', ('elapsed_s',)),
    'per_rank_median': ('s', ('per_rank', 'median')),
    'per_rank_max': ('s', ('per_rank', 'max')),
    'startup_median': ('s', ('startup', 'median')),
    'time_to_first_import_s': ('s', ('time_to_first_import_s',)),
    'staging_seconds': ('s', ('staging', 'seconds')),
    'meta_total': ('ops', ('metadata_ops', 'total')),
    'meta_enoent': ('ops', ('metadata_ops', 'enoent')),
}
SCALE_RE = re.compile(r'^([1-9][0-9]*)_nodes?$')
ENTRY_KEYS = {'config', 'machine', 'harness', 'filesystems', 'suites', 'scales', 'tasks_per_node',
              'time_limit', 'timeout', 'references'}
REF_KEYS = {'ref', 'lower', 'upper', 'unit'}


class ReferencesError(ValueError):
    pass


def _fail(path, where, why):
    raise ReferencesError(f'{path}: {where}: {why}')


def _str_list(path, where, value):
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        _fail(path, where, 'must be a non-empty list of names')
    return value


def _threshold(path, where, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, where, f'must be a number (a fraction of ref), not {value!r}')
    return float(value)


def load_references(path):
    """The file as {system:partition: entry}, every entry checked; any
    fault is one ReferencesError naming the file and the key."""
    try:
        with open(path, 'rb') as f:
            data = tomllib.load(f)
    except OSError as e:
        raise ReferencesError(f'{path}: cannot read: {e.strerror}') from None
    except tomllib.TOMLDecodeError as e:
        raise ReferencesError(f'{path}: {e}') from None
    base = os.path.dirname(os.path.abspath(path))
    if not data:
        _fail(path, 'the file', 'names no system:partition')
    systems = {}
    for name, entry in data.items():
        if ':' not in name or not isinstance(entry, dict):
            _fail(path, name, 'top-level tables are ReFrame system:partition names, such as ["local:slurm"]')
        unknown = set(entry) - ENTRY_KEYS
        if unknown:
            _fail(path, name, f'unknown key {sorted(unknown)[0]!r} (known: {", ".join(sorted(ENTRY_KEYS))})')
        for key in ('config', 'machine', 'filesystems'):
            if key not in entry:
                _fail(path, name, f'missing key {key!r}')
        e = {
            'config': os.path.normpath(os.path.join(base, entry['config'])),
            'machine': entry['machine'],
            'harness': os.path.normpath(os.path.join(base, entry.get('harness', '../../build/harness'))),
            'filesystems': _str_list(path, f'{name}.filesystems', entry['filesystems']),
            'suites': _str_list(path, f'{name}.suites', entry.get('suites', ['numpy'])),
            'scales': _str_list(path, f'{name}.scales', entry.get('scales', ['1_node'])),
            'tasks_per_node': entry.get('tasks_per_node', 1),
            'time_limit': entry.get('time_limit', '10m'),
            'timeout': entry.get('timeout'),
            'references': {},
        }
        for scale in e['scales']:
            if not SCALE_RE.match(scale):
                _fail(path, f'{name}.scales', f'{scale!r} is not N_node or N_nodes (1_node, 16_nodes)')
        tpn = e['tasks_per_node']
        if isinstance(tpn, bool) or not isinstance(tpn, int) or tpn < 1:
            _fail(path, f'{name}.tasks_per_node', f'must be a positive integer, not {tpn!r}')
        timeout = e['timeout']
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or timeout <= 0):
            _fail(path, f'{name}.timeout', f'must be a positive number of seconds, not {timeout!r}')
        refs = entry.get('references', {})
        if not isinstance(refs, dict):
            _fail(path, f'{name}.references', 'must be a table of filesystems')
        for fs, variables in refs.items():
            where = f'{name}.references.{fs}'
            if not isinstance(variables, dict):
                _fail(path, where, 'must be a table of performance variables')
            fs_name = fs.split('@', 1)[0]
            if fs_name != '*' and fs_name not in e['filesystems']:
                _fail(path, where, f'{fs_name!r} is not in {name}.filesystems')
            if '@' in fs and not SCALE_RE.match(fs.split('@', 1)[1]):
                _fail(path, where, 'a key is FILESYSTEM or FILESYSTEM@SCALE (tmpfs@16_nodes)')
            checked = {}
            for var, ref in variables.items():
                if var not in PERF_VARS:
                    _fail(path, f'{where}.{var}', f'unknown performance variable (known: {", ".join(PERF_VARS)})')
                if not isinstance(ref, dict) or 'ref' not in ref or set(ref) - REF_KEYS:
                    _fail(path, f'{where}.{var}', 'must be { ref = N, lower = F, upper = F, unit = "s" } '
                          '(lower, upper and unit optional)')
                value = ref['ref']
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    _fail(path, f'{where}.{var}.ref', f'must be a number, not {value!r}')
                unit = ref.get('unit', PERF_VARS[var][0])
                if unit != PERF_VARS[var][0]:
                    _fail(path, f'{where}.{var}.unit', f'is {PERF_VARS[var][0]!r}, not {unit!r}')
                checked[var] = (float(value), _threshold(path, f'{where}.{var}.lower', ref.get('lower')),
                                _threshold(path, f'{where}.{var}.upper', ref.get('upper')), unit)
            e['references'][fs] = checked
        systems[name] = e
    return systems


SYSTEMS = load_references(REFERENCES)


def _union(key):
    return sorted({v for entry in SYSTEMS.values() for v in entry[key]})


def _scale_nodes(scale):
    return int(SCALE_RE.match(scale).group(1))


def _json_path(result, keys):
    value = result
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _figure(result, keys):
    """The figure at KEYS as a finite number, else None."""
    value = _json_path(result, keys)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


@rfm.simple_test
class Mpi4pyImportCheck(rfm.RunOnlyRegressionTest):
    descr = 'Time python -c "import numpy" on every rank (mpi4py-import harness)'
    filesystem = parameter(_union('filesystems'))
    suite = parameter(_union('suites'))
    scale = parameter(sorted(_union('scales'), key=_scale_nodes))
    valid_prog_environs = ['*']
    sourcesdir = None
    keep_files = [RESULT]
    # A benchmark: no other job on its nodes.
    exclusive_access = True
    tags = {'mpi4py-import', 'python', 'filesystem'}
    maintainers = ['mpi4py-import']
    # The file this variant was defined from (logged with each perflog line).
    references_file = variable(str, value=REFERENCES, loggable=True)
    # The scale's node count, and the ranks the harness's JSON counted
    # (logged: the results table's nodes and ranks).
    nodes = variable(int, value=0, loggable=True)
    ranks = variable(int, type(None), value=None, loggable=True)

    @run_after('init')
    def set_valid_systems(self):
        self.valid_systems = [name for name, e in SYSTEMS.items()
                              if self.filesystem in e['filesystems'] and self.suite in e['suites']
                              and self.scale in e['scales']]
        self.nodes = _scale_nodes(self.scale)

    @run_after('setup')
    def set_job(self):
        e = SYSTEMS[self.current_partition.fullname]
        self.num_tasks_per_node = e['tasks_per_node']
        self.num_tasks = self.nodes * e['tasks_per_node']
        self.time_limit = e['time_limit']
        self.executable = e['harness']
        self.executable_opts = ['--config', e['config'], '--machine', e['machine'],
                                '--filesystem', self.filesystem, '--suite', self.suite,
                                '--json', RESULT, '--quiet']
        if e['timeout'] is not None:
            self.executable_opts += ['--timeout', str(e['timeout'])]
        # As the generated jobs do: no PYTHONPATH into the measured python.
        self.prerun_cmds = ['unset PYTHONPATH']
        self.reference = {self.current_partition.fullname: self._references()}

    def _references(self):
        """The references of this partition, filesystem and scale, by variable."""
        e = SYSTEMS[self.current_partition.fullname]
        refs = {}
        for key in ('*', f'*@{self.scale}', self.filesystem, f'{self.filesystem}@{self.scale}'):
            refs.update(e['references'].get(key, {}))
        return refs

    def _result(self):
        path = os.path.join(self.stagedir, RESULT)
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise SanityError(f'{RESULT}: unreadable: {e}') from None

    def _job_lines(self):
        lines = []
        for name in (self.job.stderr, self.job.stdout):
            try:
                with open(os.path.join(self.stagedir, name), errors='replace') as f:
                    lines += [line.rstrip() for line in f if line.strip()]
            except OSError:
                pass
        return lines

    def _harness_error(self, lines):
        """The harness's own last error line ("harness: ..."), else the
        last line of the job's output, else None."""
        harness = [line for line in lines if line.startswith('harness: ')]
        if harness:
            return harness[-1]
        return lines[-1] if lines else None

    @sanity_function
    def assert_every_rank_imported(self):
        result = self._result()
        lines = self._job_lines()
        if result is None:
            why = self._harness_error(lines) or 'no output at all'
            raise SanityError(f'the harness wrote no {RESULT}: {why}')
        if result.get('status') == 'ok' and result.get('failed') == 0 and result.get('timed_out') == 0:
            if result.get('ok') != self.num_tasks:
                raise SanityError(f'{result.get("ok")} ranks imported, the job has {self.num_tasks}')
            self._assert_referenced_figures(result)
            return True
        # The harness's summary ("import phase: 2 failed, 0 timed out; first
        # failure rank 0, exit 1, its stderr ends:"), else one from its JSON;
        # then the last line of the failing rank's stderr.
        summary = [line for line in lines if re.match(r'^(import|startup) phase: ', line)]
        failure = result.get('first_failure') or {}
        if summary:
            why = summary[0].removesuffix(', its stderr ends:')
        else:
            why = (f'import phase: {result.get("failed")} failed, {result.get("timed_out")} timed out '
                   f'of {result.get("ranks")} ranks (status {result.get("status")})')
        tail = [line for line in (failure.get('stderr') or '').splitlines() if line.strip()]
        if tail:
            why += f': {tail[-1]}'
        harness = [line for line in lines if line.startswith('harness: ')]
        if harness:
            why = f'{harness[-1]} ({why})'
        raise SanityError(why)

    def _assert_referenced_figures(self, result):
        """A variable with a reference that the result lacks would be left
        out of the performance stage, and its reference never checked."""
        missing = [f'{name} ({".".join(PERF_VARS[name][1])})' for name in sorted(self._references())
                   if _figure(result, PERF_VARS[name][1]) is None]
        if missing:
            raise SanityError(f'the result has no {", ".join(missing)}, which {self.references_file} '
                              'holds a reference for')

    @run_before('performance')
    def set_perf_variables(self):
        result = self._result() or {}
        self.ranks = result.get('ranks')
        self.perf_variables = {}
        for name, (unit, keys) in PERF_VARS.items():
            value = _figure(result, keys)
            if value is not None:
                self.perf_variables[name] = sn.make_performance_function(sn.defer(float(value)), unit)
