"""Keywords that open, switch and close Focus Server connections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn

from contract import constants
from libraries import run_environment
from libraries.focus_api.client import TWIN_HINT, UNREACHABLE_HINT, FocusClient
from libraries.focus_api.keywords.base import LibraryComponent, log_exchange
from libraries.kubernetes.diagnose import workload_note
from libraries.safety import cleans_up


class ConnectionKeywords(LibraryComponent):
    """`Connect To Focus Server`, `Switch Focus Connection`, `Close All Focus Connections`."""

    @keyword
    def connect_to_focus_server(
        self,
        base_url: str,
        user: str,
        password: Secret,
        ca_bundle: str | None = None,
        timeout: timedelta = timedelta(seconds=10),
        alias: str | None = None,
        max_retries: int = 2,
        reuse_existing: bool = False,
    ) -> str:
        """Open a connection to the Focus Server at ``base_url`` and log in.

        ``password`` is a `Secret` (never logged). ``ca_bundle`` is the CA file TLS is
        verified against (``None``: the system store); verification is never off.
        ``timeout`` is the read timeout of every request of this connection;
        ``max_retries`` the retries of idempotent requests. The token is fetched at once,
        so an unreachable server or wrong credentials fail here with one clear line.
        Returns the alias (default: the base URL); the new connection becomes current.
        With ``reuse_existing``, a connection already open under that alias is made
        current and kept (no new login), as Browser's ``New Browser`` reuses a browser:
        keywords that stand alone connect this way.

        | `Connect To Focus Server` | ${URL} | ${USER} | ${PASSWORD} | ca_bundle=${CA_BUNDLE} |
        | `Connect To Focus Server` | ${URL} | ${USER} | ${PASSWORD} | timeout=30s | alias=slow |
        | `Connect To Focus Server` | ${URL} | ${USER} | ${PASSWORD} | reuse_existing=True |
        """
        alias = alias or base_url
        if reuse_existing and alias in self.state.connections:
            self.state.connections.switch(alias)
            logger.info(f"Reusing the open connection '{alias}'")
            return alias
        client = FocusClient(
            base_url,
            user,
            password.value,
            ca_bundle=ca_bundle,
            timeout=timeout.total_seconds(),
            max_retries=max_retries,
            on_exchange=log_exchange,
            **_hint(),
        )
        client.tokens.get()
        self.state.connections.register(client, alias)
        logger.info(f"Connected to {base_url} as '{user}' (alias '{alias}')")
        self._stop_leftovers(client)
        return alias

    @cleans_up("stops only the tasks the ledger says this machine's earlier runs created")
    def _stop_leftovers(self, client: FocusClient) -> None:
        """Stop the tasks that earlier runs on this machine created and, killed before
        their teardowns, never stopped (the task ledger); no one else's."""
        stopped, kept = self.state.ledger.stop_leftovers(
            client.base_url, lambda task_id: client.stop(task_id).status_code
        )
        if stopped:
            logger.warn(
                f"Stopped {len(stopped)} task(s) an earlier run created on {client.base_url} "
                f"and never stopped (it was killed before its teardown): {', '.join(stopped)}"
            )
        if kept:
            logger.warn(f"Tasks of an earlier run still not stopped: {'; '.join(kept)}")

    @keyword
    def open_focus_session(self, alias: str = "focus", connection: str | None = None) -> str:
        """Creates a RequestsLibrary session ``alias`` on the current Focus connection (or the
        one called ``connection``), for requests the FocusApi keywords do not cover.

        The session has the connection's base URL, its CA bundle (TLS always verified),
        its user's bearer token (fetched again shortly before it expires, and once more
        on a ``401``), the same urllib3 ``Retry`` (idempotent requests on connection
        errors, ``502`` and ``503``) and the connection's timeouts. The token never
        appears in log.html: RequestsLibrary logs the request headers, and the session
        shows ``Authorization: Bearer ********`` there. Needs ``Library    RequestsLibrary``
        (``resources/focus_api.resource`` imports it). Returns the alias.

        | `Open Focus Session` | alias=focus |
        | ${response} = | GET On Session | focus | /channels | expected_status=200 |
        | Should Be Equal As Integers | ${response.json()}[highest_channel] | 2222 |
        | POST On Session | focus | /configure | json=${payload} | expected_status=400 |

        Returns the alias, e.g. ``focus``.
        """
        client = self.state.connections.get(connection)
        try:
            # RequestsLibrary ships no types: its instance is Any
            requests_library: Any = BuiltIn().get_library_instance("RequestsLibrary")
        except RuntimeError:
            raise RuntimeError(
                "Open Focus Session needs RequestsLibrary: add 'Library    RequestsLibrary' "
                "to the Settings (resources/focus_api.resource imports it)"
            ) from None
        # Create Custom Session sets RequestsLibrary's library-wide timeout and cookies:
        # keep those of the user's other sessions as they were.
        kept = (requests_library.timeout, requests_library.cookies)
        session = requests_library.create_custom_session(
            alias, client.base_url, client.bearer_auth(), verify=client.verify, max_retries=0
        )
        requests_library.timeout, requests_library.cookies = kept
        client.adopt(session)  # the connection's Retry and timeouts; closed with it
        logger.info(f"RequestsLibrary session '{alias}' on {client.base_url} as '{client.user}'")
        return alias

    @keyword
    def switch_focus_connection(self, alias: str) -> str:
        """Make the connection ``alias`` current; returns the previous alias.

        | ${previous} = | `Switch Focus Connection` | slow |

        Returns the previous alias, e.g. ``https://127.0.0.1:8443/focus-server``.
        """
        return self.state.connections.switch(alias)

    @keyword
    def close_all_focus_connections(self) -> None:
        """Close every connection (tasks are not stopped: see `Stop All Tasks`).

        | [Teardown] | `Close All Focus Connections` |
        """
        self.state.connections.close_all()


def _hint() -> dict[str, Any]:
    """What an unreachable server's error adds: when the environment's cluster shows the
    focus server's pod being replaced, that ("focus-server pod X is terminating; new pod
    Y not ready yet"); else on the local twin "is the twin up?", elsewhere a check of
    ``FOCUS_BASE_URL``. From plain Python (pytest) no environment is known: nothing."""
    environment = run_environment.active()
    if environment is None:
        return {}
    fallback = TWIN_HINT if environment.is_twin else UNREACHABLE_HINT
    kubeconfig = environment.value("KUBECONFIG")
    if not kubeconfig:
        return {"unreachable_hint": fallback}
    context = environment.value("KUBE_CONTEXT")
    namespace = str(environment.value("K8S_NAMESPACE") or constants.K8S_NAMESPACE)
    workload = str(environment.value("FOCUS_SERVER_WORKLOAD") or constants.FOCUS_SERVER_WORKLOAD)

    def hint() -> str:
        note = workload_note(str(kubeconfig), context, namespace, workload, "focus-server")
        if note is None:
            return fallback
        return f"{note} (wait for it with 'Focus Server Should Recover Within')"

    return {"unreachable_hint": hint}
