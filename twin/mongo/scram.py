"""Server side of SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802 / 7677) as MongoDB speaks them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from pymongo.saslprep import saslprep

from twin.mongo.errors import AUTHENTICATION_FAILED, CommandError

ITERATIONS = 4096  # the minimum pymongo accepts; the twin is not a password vault
MECHANISMS: dict[str, Callable] = {"SCRAM-SHA-1": hashlib.sha1, "SCRAM-SHA-256": hashlib.sha256}


@dataclass(frozen=True)
class ScramKeys:
    """What the server keeps of one password for one mechanism."""

    salt: bytes
    stored_key: bytes
    server_key: bytes


def derive_keys(user: str, password: str, mechanism: str) -> ScramKeys:
    """Salt and hash ``password`` as MongoDB does for ``mechanism``."""
    digestmod = MECHANISMS[mechanism]
    if mechanism == "SCRAM-SHA-1":  # MongoDB hashes "user:mongo:password" with MD5 first
        secret = hashlib.md5(f"{user}:mongo:{password}".encode()).hexdigest()
    else:
        secret = saslprep(password)
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac(digestmod().name, secret.encode(), salt, ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", digestmod)
    return ScramKeys(
        salt=salt,
        stored_key=digestmod(client_key).digest(),
        server_key=hmac.digest(salted, b"Server Key", digestmod),
    )


class Credentials:
    """Users of one authentication database, with keys for every mechanism."""

    def __init__(self, users: dict[str, str], auth_db: str) -> None:
        self.auth_db = auth_db
        self._keys = {
            (user, mechanism): derive_keys(user, password, mechanism)
            for user, password in users.items()
            for mechanism in MECHANISMS
        }

    @property
    def enabled(self) -> bool:
        """Whether clients must authenticate at all."""
        return bool(self._keys)

    def mechanisms_for(self, qualified_user: str) -> list[str]:
        """``saslSupportedMechs`` for ``"db.user"``."""
        db, _, user = qualified_user.partition(".")
        if db != self.auth_db:
            return []
        return [mech for mech in MECHANISMS if (user, mech) in self._keys]

    def keys(self, user: str, mechanism: str) -> ScramKeys | None:
        return self._keys.get((user, mechanism))


def _failed() -> CommandError:
    return CommandError(AUTHENTICATION_FAILED, "Authentication failed.")


def _attributes(message: bytes) -> dict[bytes, bytes]:
    try:
        return dict(item.split(b"=", 1) for item in message.split(b","))
    except ValueError:
        raise _failed() from None


class ScramConversation:
    """One SCRAM exchange: ``start`` answers saslStart, ``finish`` the client proof."""

    def __init__(self, credentials: Credentials, mechanism: str, database: str) -> None:
        if mechanism not in MECHANISMS:
            raise CommandError(
                AUTHENTICATION_FAILED, f"Received authentication for mechanism {mechanism}"
            )
        self._credentials = credentials
        self.mechanism = mechanism
        self.skip_empty_exchange = False
        self.speculative = False  # started inside the hello handshake
        self._database = database
        self._digestmod = MECHANISMS[mechanism]
        self.user = ""
        self.done = False
        self._keys: ScramKeys | None = None
        self._auth_prefix = b""
        self._nonce = b""

    def start(self, payload: bytes) -> bytes:
        """Parse client-first, answer server-first (nonce, salt, iterations)."""
        gs2_flag, _, rest = payload.partition(b",")
        _authzid, _, client_first_bare = rest.partition(b",")
        if gs2_flag not in (b"n", b"y"):
            raise _failed()
        attributes = _attributes(client_first_bare)
        name = attributes.get(b"n", b"").replace(b"=2C", b",").replace(b"=3D", b"=")
        self.user = name.decode("utf-8", "replace")
        self._keys = self._credentials.keys(self.user, self.mechanism)
        if self._database != self._credentials.auth_db or self._keys is None:
            raise _failed()
        self._nonce = attributes.get(b"r", b"") + base64.b64encode(os.urandom(24))
        server_first = b"r=%s,s=%s,i=%d" % (
            self._nonce,
            base64.b64encode(self._keys.salt),
            ITERATIONS,
        )
        self._auth_prefix = client_first_bare + b"," + server_first
        return server_first

    def finish(self, payload: bytes) -> bytes:
        """Verify the client proof, answer the server signature."""
        if self._keys is None:
            raise _failed()
        without_proof, _, proof_part = payload.rpartition(b",p=")
        attributes = _attributes(without_proof)
        if attributes.get(b"r") != self._nonce:
            raise _failed()
        auth_message = self._auth_prefix + b"," + without_proof
        signature = hmac.digest(self._keys.stored_key, auth_message, self._digestmod)
        try:
            proof = base64.b64decode(proof_part, validate=True)
        except ValueError:
            raise _failed() from None
        if len(proof) != len(signature):
            raise _failed()
        client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
        if not hmac.compare_digest(self._digestmod(client_key).digest(), self._keys.stored_key):
            raise _failed()
        self.done = True
        server_signature = hmac.digest(self._keys.server_key, auth_message, self._digestmod)
        return b"v=" + base64.b64encode(server_signature)
