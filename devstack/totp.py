"""The current second-factor code of a demo staff member, for trying the console without an authenticator app:

    .venv/bin/python -m devstack.totp operateur@plateforme.example
    .venv/bin/python -m devstack.totp JBSWY3DPEHPK3PXP

Given an e-mail, the demo account's published secret (devstack/demo_data/accounts.py); given anything else, it is
read as a base32 TOTP secret (e.g. the one a sign-in offered to enrol). Prints the 6-digit code (how long it stays
current on stderr). A code works once: for the next sign-in within 30 s, wait for the next one.
"""

import argparse
import binascii
import sys
import time

import pyotp

from devstack.demo_data.accounts import DEMO_STAFF

PERIOD_SECONDS = 30


def secret_of(email_or_secret: str) -> str:
    wanted = email_or_secret.strip()
    for staff in DEMO_STAFF:
        if staff.email.lower() == wanted.lower():
            return staff.totp_secret
    if "@" in wanted:
        known = ", ".join(staff.email for staff in DEMO_STAFF)
        raise ValueError(f"{wanted} is no demo staff member ({known}); give a base32 secret instead")
    secret = wanted.replace(" ", "").upper()
    try:
        pyotp.TOTP(secret).now()
    except (binascii.Error, ValueError):
        raise ValueError(f"{wanted!r} is neither a demo staff e-mail nor a base32 secret") from None
    return secret


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.totp", description=__doc__.split("\n\n")[0])
    parser.add_argument("email_or_secret", help="a demo staff member's e-mail, or a base32 TOTP secret")
    args = parser.parse_args(argv)
    try:
        secret = secret_of(args.email_or_secret)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    left = PERIOD_SECONDS - int(time.time()) % PERIOD_SECONDS
    print(pyotp.TOTP(secret).now())
    print(f"(current for {left} s more)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
