"""``safeschool monitor scan`` (called as engine.monitor_cli.main): a line in, a line out."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from safeschool.engine.monitor_cli import main


def run(argv: list[str], stdin: bytes = b"") -> tuple[int, list[dict[str, object]], str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_scan_prints_one_object_per_line_in_order() -> None:
    code, rows, err = run(["scan"], b"how to k1ll myself\ngrape juice\n\nthinspo\n")
    assert code == 0 and err == ""
    assert [r["text"] for r in rows] == ["how to k1ll myself", "grape juice", "", "thinspo"]
    assert rows[0]["matches"] == [
        {
            "term": "how to kill myself",
            "category": "suicide",
            "severity": 5,
            "matched": "how to k1ll myself",
        }
    ]
    assert rows[1]["matches"] == [] and rows[2]["matches"] == []
    assert rows[3]["matches"] == [
        {"term": "thinspo", "category": "eating_disorders", "severity": 3, "matched": "thinspo"}
    ]


def test_invalid_utf8_is_reported_and_scanning_goes_on() -> None:
    code, rows, err = run(["scan"], b"buy weed\n\xff\xfe kms\r\nsuicide\n")
    assert code == 1
    assert [r["text"] for r in rows] == ["buy weed", "\ufffd\ufffd kms", "suicide"]
    assert rows[1]["matches"] == [] and "not valid UTF-8" in str(rows[1]["error"])
    assert [m["term"] for m in rows[2]["matches"]] == ["suicide"]  # type: ignore[index, union-attr]
    assert "line 2 is not valid UTF-8" in err


def test_last_line_without_a_newline_is_scanned() -> None:
    _, rows, _ = run(["scan"], b"pro ana")
    assert [m["category"] for m in rows[0]["matches"]] == ["eating_disorders"]  # type: ignore[index, union-attr]


def test_urls_mode_reads_search_terms() -> None:
    code, rows, _ = run(
        ["scan", "--urls"],
        b"https://www.bing.com/search?q=buy+weed+uk\nhttps://www.bbc.co.uk/news\n",
    )
    assert code == 0
    assert [m["term"] for m in rows[0]["matches"]] == ["buy weed"]  # type: ignore[index, union-attr]
    assert rows[1]["matches"] == []


def test_min_severity_leaves_out_milder_matches() -> None:
    _, rows, _ = run(["scan", "--min-severity", "4"], b"vape\nhow to kill myself\n")
    assert rows[0]["matches"] == [] and len(rows[1]["matches"]) == 1  # type: ignore[arg-type]


def test_own_library_and_allow_list(tmp_path: Path) -> None:
    library = tmp_path / "terms.json"
    library.write_text(
        json.dumps({"terms": [{"text": "zorbing dare", "category": "violence", "severity": 2}]})
    )
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps({"phrases": ["the zorbing dare film"]}))
    _, rows, _ = run(
        ["scan", "--library", str(library), "--allow", str(allow)],
        b"zorbing dare\nthe zorbing dare film\nkill myself\n",
    )
    assert [len(r["matches"]) for r in rows] == [1, 0, 0]  # type: ignore[arg-type]


def test_usage_errors_and_bad_libraries_exit_2(tmp_path: Path) -> None:
    assert run([])[0] == 2
    assert run(["scan", "--min-severity", "9"])[0] == 2
    code, rows, err = run(["scan", "--language", "zz"], b"kms\n")
    assert code == 2 and rows == [] and "no risk library" in err
    (tmp_path / "bad.json").write_text('{"terms": [{"text": "x"}]}')
    assert run(["scan", "--library", str(tmp_path / "bad.json")])[0] == 2


def test_runs_as_a_module_and_answers_each_line_before_the_next() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "safeschool.engine.monitor_cli", "scan"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"kys\n")
        first = json.loads(proc.stdout.readline())  # flushed before the next line arrives
        proc.stdin.write("suïcide\n".encode())
        second = json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    assert first["matches"][0]["category"] == "bullying"
    assert second["text"] == "suïcide" and second["matches"][0]["term"] == "suicide"
