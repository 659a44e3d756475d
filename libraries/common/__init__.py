"""Plumbing every keyword library shares: one way to wait (``polling``), to hold
connections (``connections``) and to read the arguments several libraries take alike
(``arguments``: a ``Secret``'s text, a task's id). None of them imports Robot Framework at
import time beyond its ``Secret`` type, so plain clients may use them too."""
