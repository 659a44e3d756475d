"""Plumbing every keyword library shares: one way to wait (``polling``) and to hold
connections (``connections``). Neither module imports Robot Framework at import time,
so plain clients may use them too."""
