"""Production: like staging, and marked as production.

Tests tagged ``destructive`` are skipped here unless ALLOW_DESTRUCTIVE=1 is set.
Use: ``robot -v ENV:production --include smoke robot/``.
"""

from variables.environments import remote_variables


def get_variables() -> dict:
    return remote_variables("production", is_production=True)
