"""Scripts that print figures (speed, memory, ratios); nothing here asserts a target.

A package so that import-linter checks it (see [tool.importlinter] in pyproject.toml).
"""
