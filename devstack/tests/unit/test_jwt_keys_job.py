from pathlib import Path

from devstack.jwt_keys import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, main, public_pem_of


def test_the_job_writes_the_pair_and_a_copy_of_the_public_key_alone(tmp_path: Path):
    keys, public = tmp_path / "keys", tmp_path / "public"
    assert main([str(keys), "--group-readable", "--public-copy", str(public)]) == 0
    assert sorted(p.name for p in public.iterdir()) == [PUBLIC_KEY_FILE]
    assert (public / PUBLIC_KEY_FILE).read_text() == public_pem_of((keys / PRIVATE_KEY_FILE).read_text())
    assert (public / PUBLIC_KEY_FILE).stat().st_mode & 0o777 == 0o644
    # Re-run: the pair is kept, and the copy still matches it.
    first = (keys / PRIVATE_KEY_FILE).read_text()
    assert main([str(keys), "--public-copy", str(public)]) == 0
    assert (keys / PRIVATE_KEY_FILE).read_text() == first
    assert (public / PUBLIC_KEY_FILE).read_text() == (keys / PUBLIC_KEY_FILE).read_text()
