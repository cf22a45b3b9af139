"""`make verify`: chaos, fuzz, authorization, code brute-force and privacy checks against a private stack."""
