"""Ticker rows over time: identity, dedupe and lateness, rate deltas and window moves, tick sizes,
staleness, the per-site event clock, the stream rules, and a state's table records."""
