"""Articles: identity from normalised titles, revisions of changed bodies, and the taxonomy that
labels them by country and subject."""
