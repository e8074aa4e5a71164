"""The ``safeschool filter`` command line (called as engine.cli.main)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from safeschool.engine.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOT = str(FIXTURES / "snapshot.json")
CONF = str(FIXTURES / "squidGuard.conf")


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_decide_prints_one_json_object_per_url() -> None:
    code, out, _ = run(
        [
            "decide",
            "--policy",
            SNAPSHOT,
            "--client",
            "10.2.0.1",
            "http://facebook.com/",
            "http://example.org/",
        ]
    )
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [r["action"] for r in rows] == ["block", "allow"]
    assert set(rows[0]) >= {"url", "action", "category", "group", "rule", "redirect"}
    assert rows[0]["category"] == "social" and rows[0]["group"] == "pupils"


def test_decide_reads_urls_from_standard_input() -> None:
    code, out, _ = run(
        ["decide", "--policy", CONF, "--client", "10.2.0.1", "--at", "2025-03-10T10:00", "-"],
        stdin="http://adult-example.com/\n\nhttp://example.org/\n",
    )
    assert code == 0
    assert [json.loads(line)["action"] for line in out.splitlines()] == ["block", "allow"]


def test_decide_honours_user_and_time() -> None:
    args = ["decide", "--policy", SNAPSHOT, "--client", "10.2.0.1", "--user", "alice"]
    lesson = run([*args, "--at", "2025-03-10T10:00", "facebook.com"])[1]
    lunch = run([*args, "--at", "2025-03-10T12:10", "facebook.com"])[1]
    assert json.loads(lesson)["action"] == "block"
    assert json.loads(lunch)["action"] == "allow"


def test_check_config_lists_categories_and_malformed_lines_and_exits_1() -> None:
    code, out, _ = run(["check-config", "--policy", CONF])
    assert code == 1
    assert "adult: 4 domains, 2 URLs, 2 expressions" in out
    assert "ut1/adult/domains:6: not a domain name: 'bad line with spaces'" in out


def test_check_config_of_a_clean_policy_exits_0(tmp_path: Path) -> None:
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "domains").write_text("a.example\n")
    conf = tmp_path / "squidGuard.conf"
    conf.write_text(
        f"dbhome {tmp_path}\ndest l {{\n domainlist l/domains\n}}\n"
        "acl {\n default {\n pass !l all\n }\n}\n"
    )
    code, out, _ = run(["check-config", "--policy", str(conf)])
    assert code == 0 and "Malformed lines: 0" in out


def test_unloadable_policy_and_bad_usage_exit_2() -> None:
    code, _, err = run(["decide", "--policy", "/nonexistent.json", "http://x/"])
    assert code == 2 and "cannot load policy" in err
    code, _, err = run(["decide", "http://x/"])
    assert code == 2 and "--policy" in err
    code, _, err = run(["decide", "--policy", SNAPSHOT, "--at", "tuesday", "x"])
    assert code == 2 and "ISO-8601" in err
    assert run(["frobnicate"])[0] == 2
