"""Console settings: the secret key file, the plant's time zone, the GWP basis, cookies."""

from __future__ import annotations

import pytest

from web.app import create_app
from web.config import SECRET_KEY_FILE, ConfigError, secret_key


def test_secret_key_is_made_once_and_kept_private(instance):
    key = secret_key(instance.home)
    path = instance.home / SECRET_KEY_FILE
    assert len(key) == 64 and path.stat().st_mode & 0o777 == 0o600
    assert secret_key(instance.home) == key
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        secret_key(instance.home)


def test_settings_from_the_environment(instance, console_env):
    app = create_app(instance)
    assert app.config["DLEDGER_TIMEZONE"] == "Asia/Shanghai" and app.config["DLEDGER_GWP"] == "AR4"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    console_env.setenv("DLEDGER_GWP", "ar5")
    console_env.setenv("DLEDGER_TIMEZONE", "Europe/Berlin")
    console_env.setenv("DLEDGER_HTTPS", "1")
    app = create_app(instance)
    assert app.extensions["dledger"].gwp == "AR5"
    assert app.extensions["dledger"].timezone.key == "Europe/Berlin"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    console_env.setenv("DLEDGER_GWP", "AR6")
    with pytest.raises(ConfigError, match="DLEDGER_GWP"):
        create_app(instance)
    console_env.setenv("DLEDGER_GWP", "AR4")
    console_env.setenv("DLEDGER_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="DLEDGER_TIMEZONE"):
        create_app(instance)
