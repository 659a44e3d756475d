"""Two stand-in workloads, so the supervisor can be tested without the real stack."""

from pathlib import Path

from twin.workloads import WorkloadSpec


def _ready_file_exists(name: str):
    def probe(endpoints: dict, secrets: dict) -> bool:
        return (Path(endpoints["ca"]).parent / f"{name}.ready").exists()

    return probe


WORKLOADS = (
    WorkloadSpec(
        "alpha", "Deployment", "tests.twin.fake_pod", _ready_file_exists("alpha"), "fake:1", 2.0
    ),
    WorkloadSpec(
        "beta", "StatefulSet", "tests.twin.fake_pod", _ready_file_exists("beta"), "fake:1", 2.0
    ),
)
