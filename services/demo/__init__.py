"""`pagewire demo`: the whole pipeline on one machine, from bundled pages to chat and storage."""
