"""A loopback stand-in of Xray (Cloud, Server/DC) and Jira, from the vendors' documentation.

``server.py`` serves the endpoints, ``robot_import.py`` decides what an imported output.xml
makes, ``graphql_api.py`` is Xray Cloud's documented GraphQL schema (the part used here).
"""

from tests.publishing.standin.server import Issue, ManualClock, Recorded, Run, Standin

__all__ = ["Issue", "ManualClock", "Recorded", "Run", "Standin"]
