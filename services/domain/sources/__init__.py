"""Where snapshots come from: URLs and their safety, fetch retries and pacing, file names, content types."""
