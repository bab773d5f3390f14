"""A listing page read: bytes decoded, lines split and classified, text or HTML parsed into ticker
quotes, listing header and teasers; the snapshot envelope and what the stream reads from it."""
