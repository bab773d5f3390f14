"""Shared edges: settings, codec, topic catalog, Kafka clients, dead letters, logging, metrics."""
