"""How pytest prints a failure on interpreters that cannot always show one the default way.

CPython 3.11.0 to 3.11.7 can raise `SystemError: AST constructor recursion depth mismatch` when pytest parses
a failing test's module to show its source (CPython gh-106905, fixed in 3.11.8; pytest #10763): the run stops
with an INTERNALERROR and the failure's reason is never printed. Debian 12 ships 3.11.2. Native tracebacks
(the interpreter's own format) do not parse whole modules, and are the workaround reported to hold.
"""

AFFECTED_VERSIONS = ((3, 11, 0), (3, 11, 8))  # [from, to)
PYTEST_DEFAULT = "auto"


def traceback_style(version: tuple[int, ...], chosen: str) -> str:
    """The --tb style to run with: pytest's default becomes "native" on an affected interpreter; a style
    asked for on the command line or in addopts is kept."""
    first, fixed = AFFECTED_VERSIONS
    if chosen == PYTEST_DEFAULT and first <= tuple(version[:3]) < fixed:
        return "native"
    return chosen
