"""The benchmark harness: `python -m bench` or `pagewire bench` measures every part (docs/performance.md)."""
