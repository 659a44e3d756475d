"""MongoDB keyword library of the Focus suite: ``Library    libraries.mongodb.MongoDB``."""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import library
from robotlibcore import DynamicCore

from libraries.mongodb.keywords.base import MongoState
from libraries.mongodb.keywords.connection import ConnectionKeywords
from libraries.mongodb.keywords.documents import DocumentKeywords
from libraries.mongodb.keywords.layout import LayoutKeywords
from libraries.mongodb.keywords.recordings import RecordingKeywords
from libraries.mongodb.keywords.server import ServerKeywords

__version__ = "1.0.0"


class CleanupListener:
    """Deletes the documents a test inserted when it ends (pass or fail), and at close."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, state: MongoState) -> None:
        self.state = state

    def end_test(self, _data: object, _result: object) -> None:
        removed = self.state.delete_created()
        if removed:
            logger.info(f"MongoDB: deleted {removed} document(s) the test inserted")

    def close(self) -> None:
        for failure in self.state.connections.close_all(raise_errors=False):
            logger.warn(f"MongoDB connection not closed cleanly: {failure}")


@library(scope="GLOBAL", version=__version__)
class MongoDB(DynamicCore):
    """Keywords for the Focus stack's MongoDB: layout, data quality and server metrics.

    %TOC%

    = Connections =

    `Connect To MongoDB` opens an authenticated connection (``timeout`` bounds every
    operation; TLS is verified against ``ca_bundle`` and never turned off) and makes it
    current; `Switch MongoDB Connection` changes the current one. Passwords and URIs are
    `Secret` values, never logged. The library imports without a server, so Libdoc runs
    anywhere.

    = Spec file =

    `Indexes Should Match Spec`, `Schema Should Match Spec` and
    `Documents Should Match Spec Schema` read the expected layout from
    ``variables/mongodb_spec.yaml`` (focus-contract §4). Give ``spec=`` to check a
    deployment whose layout differs.

    = Recordings =

    The classification rule: ``deleted`` when ``deleted: true``; ``in_progress`` without
    ``end_time``; ``complete`` when ``end_time > start_time`` and the SEG-Y file exists;
    ``invalid`` otherwise. File paths resolve under ``segy_root`` unless absolute.

    = Clean-up =

    Documents inserted through the library (`Insert Test Document`, a wrongly accepted
    `Insert Should Be Rejected By Validator`) are deleted at the end of each test, pass
    or fail, by `Delete Documents Created By Tests` and by `Close All MongoDB Connections`.

    = Example =

    | ***** Settings *****
    | Library    libraries.mongodb.MongoDB
    |
    | ***** Test Cases *****
    | Indexes Are Present
    |     `Connect To MongoDB`    127.0.0.1    ${MONGO_PORT}    prisma    ${MONGO_PASSWORD}
    |     `Indexes Should Match Spec`
    |     [Teardown]    `Close All MongoDB Connections`
    """

    def __init__(self) -> None:
        self.state = MongoState()
        self.ROBOT_LIBRARY_LISTENER = [CleanupListener(self.state)]
        super().__init__(
            [
                ConnectionKeywords(self.state),
                LayoutKeywords(self.state),
                DocumentKeywords(self.state),
                RecordingKeywords(self.state),
                ServerKeywords(self.state),
            ]
        )
