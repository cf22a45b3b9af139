"""Where codes go, kept without being stored in clear.

A keyed HMAC identifies a destination for the send limits. ChallengePassed must name the
destination, so a pending challenge also keeps it sealed with AES-GCM (bound to the challenge id);
the service erases that copy as soon as the challenge is settled.
"""

import hashlib
import hmac
import os
from dataclasses import dataclass
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


@dataclass(frozen=True)
class Keys:
    """Independent keys derived from the service secret, one per use."""

    code: bytes
    destination_hmac: bytes
    destination_seal: bytes

    @classmethod
    def derive(cls, secret: str) -> "Keys":
        def subkey(label: bytes) -> bytes:
            return hmac.new(secret.encode(), b"verification/" + label, hashlib.sha256).digest()

        return cls(subkey(b"code"), subkey(b"destination-hmac"), subkey(b"destination-seal"))


def destination_hmac(key: bytes, channel: str, destination: str) -> str:
    # Case and surrounding spaces do not make another mailbox for the limits.
    return hmac.new(key, f"{channel}:{destination.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def seal(key: bytes, challenge_id: UUID, destination: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, destination.encode(), challenge_id.bytes)


def unseal(key: bytes, challenge_id: UUID, sealed: bytes) -> str:
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return AESGCM(key).decrypt(nonce, ciphertext, challenge_id.bytes).decode()
