"""A throwaway ES256 key pair for local runs and tests (production keys come from secrets).

    python -m devstack.jwt_keys DIRECTORY [--group-readable]

writes DIRECTORY/jwt-private.pem (mode 0600, or 0640 with --group-readable) and DIRECTORY/jwt-public.pem
(0644) when they do not exist yet, so the containers' one-shot job can run on every `up`: an existing
private key is never replaced (tokens already issued stay valid). A missing public key is derived from
the existing private key; a public key left without its private key is replaced with the new pair's.
Each file appears whole or not at all (written aside, then linked into place). Exits non-zero when an
existing private key cannot be read or does not match the existing public key.
"""

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

PRIVATE_KEY_FILE = "jwt-private.pem"
PUBLIC_KEY_FILE = "jwt-public.pem"


def generate_es256_keypair() -> tuple[str, str]:
    """(private key PEM, public key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return private, public_pem_of(private)


def public_pem_of(private_pem: str) -> str:
    """The public key (PEM) of an ES256 private key (PEM); ValueError when it is not one."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an ES256 (EC P-256) private key")
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _publish(directory: Path, name: str, content: str, mode: int, *, replace: bool) -> None:
    """Writes `content` aside in `directory`, then moves it to `name`: readers never see half a file.
    Without `replace`, an existing `name` wins (FileExistsError) - os.link never overwrites."""
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    try:
        with os.fdopen(descriptor, "w") as file:
            os.fchmod(file.fileno(), mode)  # mkstemp's 0600 (whatever the umask), then the mode asked for
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, directory / name)
        else:
            os.link(temporary, directory / name)
    finally:
        Path(temporary).unlink(missing_ok=True)


def ensure_keypair(directory: Path, *, group_readable: bool = False) -> list[str]:
    """Creates what is missing of the pair in `directory`; returns the names of the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_KEY_FILE, directory / PUBLIC_KEY_FILE
    private_mode = 0o640 if group_readable else 0o600
    if not private_path.exists():
        private, public = generate_es256_keypair()
        _publish(directory, PRIVATE_KEY_FILE, private, private_mode, replace=False)
        _publish(directory, PUBLIC_KEY_FILE, public, 0o644, replace=True)
        return [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]
    if not public_path.exists():
        public = public_pem_of(private_path.read_text())
        _publish(directory, PUBLIC_KEY_FILE, public, 0o644, replace=False)
        return [PUBLIC_KEY_FILE]
    if public_pem_of(private_path.read_text()).strip() != public_path.read_text().strip():
        raise ValueError(f"{public_path} is not the public key of {private_path}")
    return []


def copy_public_key(directory: Path, public_copy: Path) -> None:
    """Puts the pair's public key, alone, in `public_copy`: a service that only verifies tokens never sees a
    volume holding the private key (with it, a compromised service could sign staff tokens)."""
    public_copy.mkdir(parents=True, exist_ok=True)
    _publish(public_copy, PUBLIC_KEY_FILE, (directory / PUBLIC_KEY_FILE).read_text(), 0o644, replace=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.jwt_keys",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("directory", type=Path, help=f"where {PRIVATE_KEY_FILE} and {PUBLIC_KEY_FILE} live")
    parser.add_argument(
        "--group-readable",
        action="store_true",
        help="private key mode 0640 instead of 0600: readable by the writer's group",
    )
    parser.add_argument(
        "--public-copy",
        type=Path,
        help=f"a directory that gets a copy of {PUBLIC_KEY_FILE} alone: what the verifying services mount",
    )
    args = parser.parse_args(argv)
    try:
        written = ensure_keypair(args.directory, group_readable=args.group_readable)
        if args.public_copy is not None:
            copy_public_key(args.directory, args.public_copy)
    except (OSError, ValueError) as exc:
        print(f"jwt_keys: {exc}", file=sys.stderr)
        return 1
    if written:
        print(f"jwt_keys: wrote {', '.join(written)} in {args.directory}")
    else:
        print(f"jwt_keys: {args.directory} already holds the key pair; nothing written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
