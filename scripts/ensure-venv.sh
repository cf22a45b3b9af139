#!/usr/bin/env bash
# Creates .venv with the pinned dependencies (re-run when a requirements file changes).
set -euo pipefail
venv=${VENV:-.venv}
# Debian's own python3 first: it is built with profile-guided and link-time optimisation and linked
# statically, as the official images the Dockerfiles use are. A python3 earlier on the PATH may not be
# (pyenv's default build is neither): the services spent about 11% more CPU per booking on one.
if [ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  python=/usr/bin/python3
else
  python=${PYTHON:-python3}
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed (found $("$python" --version 2>&1)). Debian: apt-get install python3" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
      "$python" -m venv "$venv"
    else
      echo "Cannot create a virtual environment: install python3-venv (apt-get install python3-venv)." >&2
      exit 1
    fi
  fi
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
touch "$venv/.installed"
