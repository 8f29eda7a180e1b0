"""Plain helpers of the tests, imported by name (`from helpers.harness import
mpirun`): the paths of the build, the harness runners, the throwaway
PostgreSQL and Slurm, and the trees and configs several folders share.
Fixtures are not here: they come from tests/conftest.py."""
