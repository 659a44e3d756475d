"""The ``segy-recorder`` workload of the twin: SEG-Y files plus one ``recordings`` document each.

- :mod:`.segyfile` writes and checks the SEG-Y files (segyio), atomically;
- :mod:`.schema` creates the contract's indexes and ``$jsonSchema`` validators (§4);
- :mod:`.history` builds the seeded history (recordings, tasks, alerts);
- :mod:`.recorder` resumes after a crash, back-fills missed time and records live.

Run it as ``python -m twin.segy_recorder`` with ``FOCUS_TWIN_DIR`` set.
"""
