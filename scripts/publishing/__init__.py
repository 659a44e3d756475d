"""Shared parts of the publishing scripts: HTTP with retries, and reading Robot results."""
