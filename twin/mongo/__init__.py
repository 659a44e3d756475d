"""A MongoDB wire-protocol stand-in over mongomock: the twin's ``mongodb`` workload.

Real drivers (pymongo 4) connect to it over TCP on 127.0.0.1: OP_MSG (and legacy
OP_QUERY for the first ``isMaster``), SCRAM-SHA-1/256 with speculative authentication,
cursors, collection validators (a ``$jsonSchema`` subset) and a fsync'd journal so that
every acknowledged write survives ``kill -9``. See :class:`MongoStandin` for in-process
use and ``python -m twin.mongo --help`` for the process.
"""

from twin.mongo.server import MongoStandin

__all__ = ["MongoStandin"]
