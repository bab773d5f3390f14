"""pagewire: news listing pages with market tickers in, clean Kafka streams out."""
