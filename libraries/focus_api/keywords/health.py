"""Keywords for what the server says about itself: health, channels, no plain HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from assertionengine import AssertionOperator
from robot.api import logger
from robot.api.deco import keyword

from libraries.common.polling import poll_assertion
from libraries.focus_api.client import FocusTimeout, FocusUnavailable
from libraries.focus_api.keywords.base import LibraryComponent, body_of, check_status, parse
from libraries.focus_api.models import ChannelsResponse, HealthResponse

HEALTH_POLL = timedelta(milliseconds=250)


class HealthKeywords(LibraryComponent):
    """Health, channels, and plain HTTP refused."""

    @keyword
    def get_health(
        self, expected_status: int | str = 200, timeout: timedelta | None = None
    ) -> dict[str, Any]:
        """``GET /health`` (no token needed); returns the body, checked against the contract.

        ``expected_status=503`` checks a degraded answer; ``timeout`` is a total deadline
        for the whole answer (e.g. ``2s`` for the PZ-13640 check), not a read timeout.
        It reads once: `Get Health Status` waits for a status.

        | ${health} = | `Get Health` |
        | `Get Health` | expected_status=503 | timeout=2s |

        Returns the body as a dict:

        | {"status": "ok", "version": "1.0.0-twin",
        |  "dependencies": {"mongodb": "ok", "rabbitmq": "ok"}}
        """
        seconds = timeout.total_seconds() if timeout else None
        response = self.client.health(timeout=seconds)
        check_status(response, expected_status, error_body=False)
        return parse(HealthResponse, body_of(response), "GET /health").model_dump(by_alias=True)

    @keyword
    def get_health_status(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta | None = None,
    ) -> str:
        """The ``status`` of ``GET /health``: ``ok`` (MongoDB and RabbitMQ answer) or
        ``degraded``; with an assertion, polls until it holds.

        Without an operator, reads once. With one, reads every 250 ms until the
        assertion holds or ``timeout`` passes (default: the assertion timeout, see
        `Set Assertion Timeout`); an unreachable or silent server counts as "not yet",
        and the failure gives its last error. ``ok`` here does not prove that a
        replaced pod answers: after a pod delete use `Focus Server Should Recover Within`.

        | `Get Health Status` | ``==`` | ok |
        | `Get Health Status` | ``==`` | ok | timeout=30s |
        | ${status} = | `Get Health Status` |

        Returns the status text, e.g. ``ok``.
        """
        returned: str = poll_assertion(
            self._health_status,
            assertion_operator,
            assertion_expected,
            "Health status",
            message,
            timeout=timeout,
            interval=HEALTH_POLL,
            retry_on=(FocusUnavailable, FocusTimeout),
        )
        return returned

    def _health_status(self) -> str:
        return parse(HealthResponse, body_of(self.client.health()), "GET /health").status

    @keyword
    def get_channels(self, expected_status: int | str = 200) -> dict[str, Any]:
        """``GET /channels``: ``lowest_channel``, ``highest_channel`` and ``channels``.

        | ${channels} = | `Get Channels` |
        | Should Be Equal As Integers | ${channels}[highest_channel] | ${SENSORS_RANGE} |

        Returns a dict: ``{"lowest_channel": 1, "highest_channel": 2222,
        "channels": [1, 2, 3, ..., 2222]}``.
        """
        response = self.client.channels()
        check_status(response, expected_status)
        if response.status_code != 200:
            returned: dict[str, Any] = body_of(response)
            return returned
        return parse(ChannelsResponse, body_of(response), "GET /channels").model_dump()

    @keyword("Plain HTTP Should Not Be Served")
    def plain_http_should_not_be_served(self, path: str = "/health") -> str:
        """A plain-HTTP request to the Focus Server's port is refused or redirected to HTTPS,
        never served; returns ``refused`` or ``redirected``.

        | `Plain HTTP Should Not Be Served` | /health |

        Returns ``refused`` or ``redirected``.
        """
        url = "http://" + self.client.url(path).removeprefix("https://")
        try:
            response = requests.get(url, timeout=self.client.timeout, allow_redirects=False)
        except requests.exceptions.ConnectionError as error:
            logger.info(f"Plain HTTP to {url} refused: {str(error).splitlines()[0][:200]}")
            return "refused"
        location = response.headers.get("Location", "")
        if response.is_redirect and location.startswith("https://"):
            return "redirected"
        raise AssertionError(
            f"Plain HTTP {url} was served: {response.status_code} {response.text[:200]}"
        )

    @keyword
    def channels_should_be(self, lowest: int, highest: int) -> int:
        """``GET /channels`` lists every channel from ``lowest`` to ``highest``, each once and in
        order, with those as ``lowest_channel`` and ``highest_channel``; returns how many.

        | `Channels Should Be` | 1 | ${SENSORS_RANGE} |
        """
        channels = self.get_channels()
        problems = []
        if channels["lowest_channel"] != lowest or channels["highest_channel"] != highest:
            problems.append(
                f"range {channels['lowest_channel']}..{channels['highest_channel']}, "
                f"expected {lowest}..{highest}"
            )
        listed = channels["channels"]
        expected = list(range(lowest, highest + 1))
        if listed != expected:
            missing = sorted(set(expected) - set(listed))
            extra = sorted(set(listed) - set(expected))
            twice = len(listed) - len(set(listed))
            problems.append(
                f"{len(listed)} channels listed, expected {len(expected)}: missing "
                f"{missing[:10]}, unexpected {extra[:10]}, {twice} listed twice"
                + ("" if missing or extra or twice else ", out of order")
            )
        if problems:
            raise AssertionError("GET /channels: " + "; ".join(problems))
        logger.info(f"GET /channels lists channels {lowest}..{highest}, {len(listed)} in order")
        return len(listed)
