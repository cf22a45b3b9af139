"""Links answer no request (see api.py): what they publish are events, in shared/contracts/accounts.py."""
