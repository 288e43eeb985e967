"""station.toml: the example for real devices loads; mistakes name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.config import ConfigError, load

REPO = Path(__file__).resolve().parent.parent.parent


def test_the_example_for_real_devices_loads() -> None:
    config = load(REPO / "examples" / "station.toml")
    assert config.station_id == "ST-02" and config.mode == "http"
    assert config.console_url == "http://console.plant.lan:8000"
    assert [(s.name, s.role, s.protocol) for s in config.scales] == [
        ("SC-2", "platform", "mtsics"), ("SC-3", "cylinder", "aandd")]
    assert config.rules.max_reading_age_s == 1.5 and config.listen == ("127.0.0.1", 8700)
    assert config.kinds["trade_in"] and config.key_file.parent == REPO / "examples"


BASE = """
[station]
id = "ST-01"
{station}
[ledger]
mode = "local"
home = "instance"
{rest}
[[scales]]
name = "SC-1"
role = "platform"
url = "/dev/ttyUSB0"
protocol = "mtsics"
"""


@pytest.mark.parametrize(("station", "rest", "message"), [
    ('language = "fr"', "", "station.language: zh-CN or en"),
    ('listen = "8700"', "", "station.listen: host:port"),
    ('default_source = "street"', "", "station.default_source: one of trade_in"),
    ('unit_label = "CN(["', "", "not a valid pattern"),
    ("", "[rules]\nmax_reading_age_s = 90", "rules.max_reading_age_s: a number above 0"),
    ("", "[[scales]]\nname = 'SC-2'\nrole = 'shelf'\nurl = 'x'\nprotocol = 'mtsics'",
     "scales[0].role: platform or cylinder"),
])
def test_mistakes_name_the_file_and_key(tmp_path: Path, station: str, rest: str,
                                        message: str) -> None:
    path = tmp_path / "station.toml"
    path.write_text(BASE.format(station=station, rest=rest), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_the_id_plant_is_reserved(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text(BASE.format(station="", rest="").replace('"ST-01"', '"PLANT"'))
    with pytest.raises(ConfigError, match=r"station\.id"):
        load(path)


@pytest.mark.parametrize(("station", "rest", "key"), [
    ("", "[rules]\nlow_recovery_pct = 90", "rules.low_recovery_pct"),
    ("", "[rules]\nmass_balance_pct = 5", "rules.mass_balance_pct"),
    ("", "[rules]\ncalibration_period_h = 24", "rules.calibration_period_h"),
    ('catalogue = "plant.toml"', "", "station.catalogue"),
])
def test_thresholds_and_the_catalogue_now_live_in_the_catalogue(tmp_path: Path, station: str,
                                                                rest: str, key: str) -> None:
    """A station.toml from before says where the setting went, instead of being obeyed."""
    path = tmp_path / "station.toml"
    path.write_text(BASE.format(station=station, rest=rest), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: no longer a station setting") and \
        "catalogue" in message and "remove this line" in message
