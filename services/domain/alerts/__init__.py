"""Alerts: rules as data, what a rule reads from an event, the engine (fire, cooldown, escalate,
resolve), destinations and their filters, the delivery policy, and the chat payloads."""
