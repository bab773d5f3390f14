"""The benchmark harness runs: `python -m bench --quick --only parser` writes JSON with the expected keys.

A smoke test, not a benchmark: nothing here is timed or compared with a target.
"""

import subprocess
import sys
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[2]


def test_quick_parser_run_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "parser", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = orjson.loads(out.read_bytes())
    assert {"version", "machine", "settings", "parts", "parser", "targets", "ratios"} <= set(results)
    assert results["parts"] == ["parser"]
    assert {"nproc", "cpu_model", "ram_gib", "python", "kafka"} <= set(results["machine"])
    assert {"text_per_s", "html_per_s", "html_stream_per_s", "label_us", "cases"} <= set(results["parser"])
    assert results["parser"]["text_per_s"] > 0 and results["parser"]["html_per_s"] > 0
    assert results["parser"]["label_us"] > 0
    assert set(results["targets"]) == {
        "worker_vs_baseline",
        "worker_rate_per_s",
        "p99_ms_at_50",
        "parser_text_per_s",
        "parser_html_per_s",
        "worker_peak_rss_mb",
    }
    # parts that did not run have no figure and no verdict
    assert results["targets"]["worker_rate_per_s"] == {
        "what": "worker snapshots/s sustained",
        "target": ">= 1000",
        "measured": None,
        "met": None,
    }
    assert "parser text snapshots/s" in done.stdout
    assert "taxonomy labels, µs per teaser" in done.stdout
    assert "parser HTML snapshots/s, seed-like stream" in done.stdout


def test_unknown_parts_are_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "nonsense"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown part(s) nonsense" in done.stderr


def test_pagewire_bench_hands_its_arguments_to_the_harness(tmp_path: Path) -> None:
    """`pagewire bench` runs `python -m bench` from the caller's directory, whatever that is."""
    pagewire = str(Path(sys.executable).parent / "pagewire")
    done = subprocess.run(
        [pagewire, "bench", "--only", "nonsense"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "usage: pagewire bench" in done.stderr
    assert "unknown part(s) nonsense" in done.stderr
