"""A single-node Apache Kafka (KRaft) for development and tests, run from Maven Central jars on Java 17."""
