#!/usr/bin/env bash
# The booking benchmark drives the gateway with wrk (Debian's package): a C load generator costs a fraction
# of the CPU an asyncio client spends per request, CPU the services under test would otherwise lose.
exec bash "$(dirname "$0")/ensure-debian-package.sh" wrk wrk "the booking benchmark"
