"""The export's published JSON Schema (docs/export.schema.json) is what the gateway's model describes and serves."""

import json

import jsonschema

from devstack import export_schema
from gateway.data_export import MyDataExport


def test_the_committed_schema_is_up_to_date():
    published = export_schema.DOCUMENT.read_text()
    assert published == export_schema.rendered(), (
        "docs/export.schema.json is out of date: python -m devstack.export_schema"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema_that_refuses_unknown_fields():
    schema = json.loads(export_schema.DOCUMENT.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"account", "appointments", "verification", "notifications", "generated_at"}
    assert set(MyDataExport.model_fields) == set(schema["properties"])
