"""What may run where: the one policy table of the suite.

Every keyword that changes state declares its effect (``libraries/safety.py``), and every
test carries the tag of the strongest effect it reaches:

=============  =========  ========  =========================  =============================
environment    read-only  own-data  shared                     disruptive
=============  =========  ========  =========================  =============================
local (twin)   yes        yes       yes                        yes
staging        yes        yes       yes                        ``ALLOW_DISRUPTIVE=staging``
production     yes        yes       ``ALLOW_SHARED=production`` ``ALLOW_DISRUPTIVE=production``
=============  =========  ========  =========================  =============================

- **read-only**: changes nothing (no tag).
- **own-data** (tag ``own-data``): creates only test-scoped things (a test site id, a
  test-named queue, the test's own tasks) and removes them, also when the test fails.
- **shared** (tag ``shared``): changes what others see (publishes to a live exchange, stops a
  task by any id, inserts into a live collection, logs in with a wrong password, runs a
  command on a node, sends hostile input).
- **disruptive** (tag ``disruptive``, formerly ``destructive``): outages, floods, capacity
  fills, load.

An allowance's value names the environment it allows (a comma-separated list of names), so
an allowance exported for staging does nothing on production. The table is keyed by the
*policy* of a run, which is the stricter of its name's and its endpoints': a run named
``local`` whose endpoints are not all loopback gets staging's row (``libraries/
run_environment.py``).

This file is not a Robot variable file: it has no ``get_variables``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

READ_ONLY: Final = "read-only"
OWN_DATA: Final = "own-data"
SHARED: Final = "shared"
DISRUPTIVE: Final = "disruptive"

# Weakest first: a test's effect is the strongest of the keywords it reaches.
EFFECTS: Final = (READ_ONLY, OWN_DATA, SHARED, DISRUPTIVE)

ALWAYS: Final = "yes"
ALLOW_SHARED: Final = "ALLOW_SHARED"
ALLOW_DISRUPTIVE: Final = "ALLOW_DISRUPTIVE"

# Deprecated aliases, kept for one release (a deprecation warning when used).
DEPRECATED_TAGS: Final = MappingProxyType({"destructive": DISRUPTIVE})
DEPRECATED_ALLOWANCES: Final = MappingProxyType({"ALLOW_DESTRUCTIVE": ALLOW_DISRUPTIVE})

# environment -> effect -> ALWAYS, or the process variable that must name the environment.
POLICY: Final = MappingProxyType(
    {
        "local": MappingProxyType(
            {READ_ONLY: ALWAYS, OWN_DATA: ALWAYS, SHARED: ALWAYS, DISRUPTIVE: ALWAYS}
        ),
        "staging": MappingProxyType(
            {READ_ONLY: ALWAYS, OWN_DATA: ALWAYS, SHARED: ALWAYS, DISRUPTIVE: ALLOW_DISRUPTIVE}
        ),
        "production": MappingProxyType(
            {
                READ_ONLY: ALWAYS,
                OWN_DATA: ALWAYS,
                SHARED: ALLOW_SHARED,
                DISRUPTIVE: ALLOW_DISRUPTIVE,
            }
        ),
    }
)

# Process variables naming each remote environment's hosts (comma-separated host names or
# addresses): a run whose endpoints match another environment's hosts stops at the start.
DECLARED_HOSTS: Final = MappingProxyType(
    {"staging": "STAGING_HOSTS", "production": "PRODUCTION_HOSTS"}
)

# Policy rows from the most to the least permissive: a run gets the strictest of its
# name's row and the row its endpoints call for.
STRICTNESS: Final = ("local", "staging", "production")
