"""`make verify` in small: each check once against the private stack, so a regression fails CI.

In file order on purpose: privacy comes last and scans the logs of everything before it.
"""

import json

from bench.verify.authz import check_authz
from bench.verify.chaos import VICTIMS, check_chaos
from bench.verify.codes import check_codes
from bench.verify.environment import VerifyEnvironment
from bench.verify.fuzz import check_fuzz
from bench.verify.privacy import check_privacy
from bench.verify.security import PROBES, check_security


def test_every_object_endpoint_refuses_other_citizens_anonymous_callers_and_other_clinics(
    verify_env: VerifyEnvironment,
):
    result = check_authz(verify_env)
    assert result["passed"], json.dumps(result, indent=1)
    assert result["refused"] == result["attempts"] >= 80
    assert {"citizen_b", "anonymous", "clerk_x", "manager_x"} <= set(result["callers"])


def test_a_code_brute_force_locks_the_challenge_even_for_the_right_code(verify_env: VerifyEnvironment):
    result = check_codes(verify_env)
    assert result["passed"], json.dumps(result, indent=1)
    assert 1 <= result["max_guesses_before_lockout"] <= 10
    assert result["right_code_after_lockout"] == 429


def test_fuzzing_the_gateway_finds_no_server_error_nor_schema_violation(verify_env: VerifyEnvironment):
    result = check_fuzz(verify_env, max_examples=3)
    assert result["passed"], json.dumps(result, indent=1)
    assert result["cases"] > 0
    assert result["operations"] >= 20


def test_short_chaos_run_loses_and_repeats_no_email(verify_env: VerifyEnvironment):
    result = check_chaos(verify_env, seconds=14, workers=2)
    assert result["passed"], json.dumps(result, indent=1)
    assert [blow["victim"] for blow in result["blows"]] == list(VICTIMS)
    assert result["appointments_in_database"] > 0
    assert result["cancellations"] > 0


def test_every_attack_of_the_security_probes_fails(verify_env: VerifyEnvironment):
    result = check_security(verify_env)
    assert result["passed"], json.dumps(result, indent=1)
    assert set(result["probes"]) == set(PROBES)
    assert result["probes"]["traversal"]["attempts"] > 1000
    assert result["probes"]["forgery"]["forms"] >= 20


def test_no_personal_data_in_the_logs_and_none_left_after_deleting_the_accounts(verify_env: VerifyEnvironment):
    result = check_privacy(verify_env)
    assert result["passed"], json.dumps(result, indent=1)
    assert result["accounts_deleted"] >= 1
    assert result["log_lines"] > 0
