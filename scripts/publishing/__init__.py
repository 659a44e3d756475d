"""Publishing results: Xray import and test plans, Jira bugs, CI summaries, the dashboard.

Shared parts: HTTP with retries (``http``), reading Robot results (``results``).
"""
