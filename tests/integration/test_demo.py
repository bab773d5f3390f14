"""The README's demo command works end to end: pages in, topics, chat alerts and stored rows out."""

import asyncio
import os
import sys
from pathlib import Path

from services.common.settings import Settings
from tests.conftest import REPO


async def test_the_demo_replays_the_samples_through_every_stage(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**os.environ, **test_env, "PAGEWIRE_HOME": str(tmp_path), "COLUMNS": "200"}
    demo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "demo", "--prefix", kafka.kafka.topic_prefix + "demo.",
        cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    raw, _ = await asyncio.wait_for(demo.communicate(), timeout=300)
    output = raw.decode()

    assert demo.returncode == 0, output[-4000:]
    assert "replay: sent 11, unchanged 0, failed 0; late: sent 1, unchanged 0, failed 0" in output
    prefix = kafka.kafka.topic_prefix + "demo."
    for topic, count in [("ticker.rows", 12), ("rates.deltas", 7), ("articles", 10), ("alerts", 2)]:
        line = next(line for line in output.splitlines() if f" {prefix}{topic} " in line)
        assert line.split("│")[2].strip() == str(count), line
    assert "│ 09:00 │ KGS/USD │ 0.01144 → 0.01160 │ 1.398601   │ 16    │ 1.398601   │" in output
    assert output.count("│ /webhook │") == 2 and "INVALID" not in output
    assert output.count("│ /slack   │") == 2
    assert "KGS/USD moved +1.398601% in 1h on timesca.com (0.01144 -> 0.01160)" in output
    # the storage sink's rows, through `pagewire query rates`
    assert "timesca.com   KGS/USD   0.01150" in output
