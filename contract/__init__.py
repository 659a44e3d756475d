"""The Focus stack's system constants, shared by the twin and the suite.

A neutral package: the twin (the system under test) and the suite (``libraries/``,
``variables/``, ``scripts/``, ``benchmarks/``) both import it, and it imports neither.
``contract.constants`` is also a Robot Framework variable file
(``Variables    contract.constants``).
"""
