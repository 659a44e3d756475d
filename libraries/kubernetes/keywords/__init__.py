"""Keyword components of the Kubernetes library."""
