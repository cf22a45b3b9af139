from datetime import date

from gateway.admin_pages import _console_day


def test_the_console_day_put_back_in_redirects_is_always_a_plain_date():
    assert _console_day("2026-12-06") == "2026-12-06"
    today = date.fromisoformat(_console_day(""))
    assert _console_day("2026-12-06\r\nSet-Cookie: x=1") == today.isoformat()
    assert _console_day("../../admin") == today.isoformat()
