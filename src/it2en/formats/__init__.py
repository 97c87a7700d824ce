"""Input formats: each module parses its format into an Article that keeps every byte of the
source, and renders the Article back into the same format."""
