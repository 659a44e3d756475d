"""Keyword components of the RabbitMQ library (one per topic)."""
