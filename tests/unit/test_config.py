from pathlib import Path

from kopplingar.config import Settings


def test_defaults_put_everything_under_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KOPPLINGAR_HOME", str(tmp_path))
    settings = Settings()
    assert settings.home == tmp_path
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'kopplingar.db'}"
    assert settings.outbox_dir == tmp_path / "outbox"
    assert settings.consent_valid_days == 7


def test_secret_is_created_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = settings.secret_bytes()
    assert len(first) == 64
    assert Settings(home=tmp_path).secret_bytes() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
