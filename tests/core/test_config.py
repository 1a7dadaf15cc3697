"""config.yaml: validated on start, one clear message naming the key, never a password."""

import subprocess
import sys
from pathlib import Path

import pytest

from neiqin_xl.core.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_config_is_valid():
    s = load_settings(ROOT / "config.yaml")
    assert s.receivables.basis == "shipment" and [t.rate for t in s.commission.tiers] == [
        __import__("decimal").Decimal(x) for x in ("0.01", "0.02", "0.03")]


@pytest.mark.parametrize("text, key", [
    ("receivables:\n  basis: shipment\n  bogus: 1\n", "receivables.bogus"),
    ("receivables:\n  default_term_days: 三十\n", "receivables.default_term_days"),
    ("schedule:\n  cutoff: '25:00'\n", "schedule.cutoff"),
    ("schedule:\n  time: '17:00'\n", "schedule.cutoff"),  # the old single time: renamed, said so
    ("schedule:\n  cutoff: '17:30'\n", "须 reminder_time (15:30) < cutoff (17:30) <= deadline (17:00)"),
    ("email:\n  password: secret\n", "email.password"),
    ("email:\n  port: 99999\n", "email.port"),  # ports are 1-65535
    ("email:\n  timeout_seconds: 0\n", "email.timeout_seconds"),
    ("receivables:\n  default_term_days: -5\n", "receivables.default_term_days"),
    ("commission:\n  slow_money_days: -1\n", "commission.slow_money_days"),
    ("commission:\n  tiers:\n    - {from_attainment: 0, rate: 3}\n", "commission.tiers.0.rate"),  # 300 %
    ("reports:\n  top_customers: 0\n", "reports.top_customers"),
    ("email:\n  recipients:\n    commision: {to: [a@example.com]}\n", "没有报表发给 commision"),  # a typo: nobody would get it
])
def test_bad_config_names_the_key(tmp_path, text, key):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert key in str(err.value)


def test_bad_config_exits_2_and_writes_nothing(tmp_path):
    (tmp_path / "config.yaml").write_text("paths:\n  workspace: ws\nunknown_section: 1\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "run_daily.py"), "--config", str(tmp_path / "config.yaml"),
                           "--date", "2026-11-26"], capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 2
    assert "unknown_section" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]


def test_a_config_saved_as_gbk_by_notepad_is_read(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes("company:\n  name: 华东贸易有限公司  # 公司名称\n".encode("gbk"))
    assert load_settings(path).company.name == "华东贸易有限公司"
    path.write_bytes("\ufeffcompany:\n  name: 华东贸易有限公司\n".encode("utf-8"))  # UTF-8 with a BOM
    assert load_settings(path).company.name == "华东贸易有限公司"


def test_a_config_in_no_known_encoding_says_save_as_utf8(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"company:\n  name: \x81\x30\xff\xff\n")
    with pytest.raises(ConfigError, match="另存为 UTF-8"):
        load_settings(path)


# ---------------------------------------------------------------------------- issue 29 case 6: keys twice, lists without commas

def test_a_key_written_twice_is_an_error_naming_both_lines(tmp_path):
    # two "daily:" lists: YAML keeps the last one silently and the general manager got no 销售日报
    path = tmp_path / "config.yaml"
    path.write_text("email:\n  recipients:\n    daily:\n      to: [gm@example.com]\n"
                    "    period:\n      to: [gm@example.com]\n    daily:\n      to: [finance@example.com]\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value).startswith("config.yaml: 第 7 行: 配置项 daily 重复 (第 3 行已有")


@pytest.mark.parametrize("text, line, bad", [
    ("email:\n  recipients:\n    daily:\n      to: [gm@example.com finance@example.com]\n", 4,
     "'gm@example.com finance@example.com'"),
    ("email:\n  admin:\n    - clerk@example.com\n    - 内勤\n", 4, "'内勤'"),
    ("email:\n  recipients:\n    shipping:\n      cc: warehouse@example.com; boss@example.com\n", 4,
     "'warehouse@example.com; boss@example.com'"),
])
def test_a_recipient_that_is_not_one_address_is_an_error_naming_the_line(tmp_path, text, line, bad):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert f"第 {line} 行" in str(err.value) and bad in str(err.value)


def test_well_formed_recipient_lists_are_accepted(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("email:\n  admin: [clerk@example.com]\n  recipients:\n    daily:\n"
                    "      to: [gm@example.com, finance@example.com]\n      cc:\n        - sm@sub.example.com\n",
                    encoding="utf-8")
    s = load_settings(path)
    assert s.email.recipients["daily"].to == ["gm@example.com", "finance@example.com"]
