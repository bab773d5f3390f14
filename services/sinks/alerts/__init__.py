"""Alert delivery: the alerts topic to chat destinations, with retries, deadlines and dead letters."""
