"""The JSON Schema of the citizen's export ("my data"), written to docs/export.schema.json from the gateway's
pydantic model (gateway/data_export.py's MyDataExport), which also validates every document it composes. The
gateway serves the same schema at /api/export-schema.

    python -m devstack.export_schema          # rewrites docs/export.schema.json
    python -m devstack.export_schema --check  # fails when docs/export.schema.json is not what the code describes
"""

import argparse
import json
import sys
from pathlib import Path

from gateway.data_export import export_schema

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "export.schema.json"


def rendered() -> str:
    return json.dumps(export_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed schema is out of date")
    if parser.parse_args().check:
        if DOCUMENT.read_text() != rendered():
            print(f"{DOCUMENT} is out of date: run python -m devstack.export_schema", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(rendered())
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
