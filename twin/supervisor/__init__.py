"""The twin's supervisor: runs every workload as an OS process, its "pod".

Started detached by ``python -m twin up`` (never by hand). Its parts:

- :mod:`twin.supervisor.pod`: one pod's process lifecycle (spawn, probe, restart, stop);
- :mod:`twin.supervisor.controller`: the controller loop that keeps every workload at
  its replica count, runs Jobs, writes ``state.json`` and serves the Kubernetes API;
- :mod:`twin.supervisor.daemon`: detaching, the watchdog and the lease keeper;
- ``python -m twin.supervisor`` (:mod:`twin.supervisor.__main__`): the command line.
"""

DEFAULT_WORKLOADS = "twin.workloads:WORKLOADS"
