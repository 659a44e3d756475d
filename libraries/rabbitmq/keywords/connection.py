"""Keywords for connections and broker health: connect, close, reachability, management API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret

from libraries.common.polling import poll_assertion
from libraries.rabbitmq.client import Endpoint, RabbitMQClient
from libraries.rabbitmq.keywords.base import POLL_S, Connection, LibraryComponent
from libraries.rabbitmq.management import ManagementClient


class ConnectionKeywords(LibraryComponent):
    """Connect, close, and check the broker and its management API."""

    @keyword("Connect To RabbitMQ")
    def connect_to_rabbitmq(
        self,
        host: str,
        port: int,
        user: str,
        password: Secret,
        vhost: str = "/",
        management_url: str = "",
        ca_bundle: str = "",
        alias: str = "",
        use_tls: bool = False,
        timeout: timedelta = timedelta(seconds=10),
    ) -> str:
        """Open an AMQP connection (and the management API client) and make it current.

        ``password`` is a `Secret`: it is never logged. ``use_tls=True`` speaks AMQPS,
        verified against ``ca_bundle``. ``management_url`` (``http://127.0.0.1:15672`` or
        ``https://...``, verified against ``ca_bundle``) enables `Get Connection Count`,
        `Management API Should Be Healthy` and `Exchange Should Exist`. ``timeout`` is the
        socket and request timeout. Returns the alias (``host:port`` by default).

        | `Connect To RabbitMQ` | ${RABBITMQ_HOST} | ${RABBITMQ_PORT} | ${RABBITMQ_USER} |
        | ... | ${RABBITMQ_PASSWORD} | management_url=${RABBITMQ_MGMT_URL} |
        """
        endpoint = Endpoint(
            host=host,
            port=port,
            user=user,
            password=password.value,
            vhost=vhost,
            ca_bundle=ca_bundle or None,
            use_tls=use_tls,
            timeout=timeout.total_seconds(),
        )
        return self._open(endpoint, management_url, alias or f"{host}:{port}")

    @keyword("Connect To RabbitMQ With URL")
    def connect_to_rabbitmq_with_url(
        self,
        url: Secret,
        management_url: str = "",
        ca_bundle: str = "",
        alias: str = "",
        timeout: timedelta = timedelta(seconds=10),
    ) -> str:
        """Like `Connect To RabbitMQ`, from ``amqp://user:password@host:port/vhost`` (or ``amqps://``).

        The URL holds the password, so it is a `Secret`.

        | ${url} = | Set Variable | %{RABBITMQ_URL} |
        | `Connect To RabbitMQ With URL` | ${url} | management_url=${RABBITMQ_MGMT_URL} |
        """
        endpoint = Endpoint.from_url(url.value, ca_bundle or None, timeout.total_seconds())
        return self._open(endpoint, management_url, alias or f"{endpoint.host}:{endpoint.port}")

    def _open(self, endpoint: Endpoint, management_url: str, alias: str) -> str:
        if alias in self.connections:
            self.connections.close(alias)
        client = RabbitMQClient(endpoint).connect()
        management = None
        if management_url:
            management = ManagementClient(
                management_url,
                endpoint.user,
                endpoint.password,
                endpoint.ca_bundle,
                endpoint.timeout,
            )
        self.connections.register(Connection(client, management), alias)
        logger.info(f"Connected to RabbitMQ at {endpoint} as alias {alias!r}")
        return alias

    @keyword("Switch RabbitMQ Connection")
    def switch_rabbitmq_connection(self, alias: str) -> str:
        """Make the connection ``alias`` current; returns the previous alias.

        | `Switch RabbitMQ Connection` | second |
        """
        return self.connections.switch(alias)

    @keyword("Close All RabbitMQ Connections")
    def close_all_rabbitmq_connections(self) -> None:
        """Delete every queue the library declared, then close every connection.

        Safe to call when nothing is open; use it in suite teardowns (it runs also when a
        test failed, so no test queue is left behind).

        | [Teardown] | `Close All RabbitMQ Connections` |
        """
        self.connections.close_all()

    @keyword
    def broker_should_be_reachable(self) -> None:
        """Open (and close) a new AMQP connection with the current connection's settings.

        | `Broker Should Be Reachable` |
        """
        probe = self.client.clone()
        probe.close()
        logger.info(f"RabbitMQ at {self.client.endpoint} accepted a new connection")

    @keyword("Management API Should Be Healthy")
    def management_api_should_be_healthy(self) -> None:
        """The management API answers ``/api/overview`` and reports no alarm.

        The alarm check is ``/api/health/checks/alarms`` (memory or disk alarms).

        | `Management API Should Be Healthy` |
        """
        overview = self.management.overview()
        status, body = self.management.alarms()
        if status != 200 or body.get("status") != "ok":
            raise AssertionError(f"RabbitMQ health check failed ({status}): {body}")
        logger.info(
            f"RabbitMQ {overview.get('rabbitmq_version')} on node {overview.get('node')}: no alarm"
        )

    @keyword
    def exchange_should_exist(
        self, name: str, type: str | None = None, durable: bool | None = None
    ) -> dict:
        """Exchange ``name`` exists, of ``type`` and durability when given; returns its description.

        Uses the management API when configured, else a passive declare (which cannot
        check ``type`` or ``durable``).

        | `Exchange Should Exist` | prisma | type=topic | durable=True |

        Returns the exchange as the management API describes it, e.g.
        ``{"name": "prisma", "type": "topic", "durable": True, "auto_delete": False, ...}``.
        """
        vhost = self.client.endpoint.vhost
        if self.connection.management is None:
            if type is not None or durable is not None:
                raise RuntimeError("checking type or durable needs the management API")
            if not self.client.exchange_exists(name):
                raise AssertionError(f"Exchange {name!r} does not exist in vhost {vhost!r}")
            return {"name": name}
        found = self.management.exchange(name, vhost)
        if found is None:
            raise AssertionError(f"Exchange {name!r} does not exist in vhost {vhost!r}")
        if type is not None and found["type"] != type:
            raise AssertionError(f"Exchange {name!r} is of type {found['type']!r}, not {type!r}")
        if durable is not None and found["durable"] != durable:
            raise AssertionError(f"Exchange {name!r} has durable={found['durable']}, not {durable}")
        return found

    @keyword
    def get_connection_count(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        user: str | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """Client connections to the current vhost (of ``user`` if given), from the management API.

        With an operator it asserts, retrying until ``timeout`` (default: the assertion
        timeout, see `Set Assertion Timeout`; the management API's statistics lag a few
        seconds).

        | ${count} = | `Get Connection Count` |
        | `Get Connection Count` | >= | 1 | user=prisma |

        Returns the number, e.g. ``3``.
        """
        vhost = self.client.endpoint.vhost

        def read() -> int:
            listed = self.management.connections(vhost)
            return sum(1 for item in listed if user is None or item.get("user") == user)

        return poll_assertion(
            read,
            assertion_operator,
            assertion_expected,
            "Connection count",
            message,
            timeout=timeout,
            interval=POLL_S,
            verify=int_str_verify_assertion,
        )
