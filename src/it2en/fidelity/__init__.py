"""What keeps a translation faithful: placeholders, post-editing, checks and flags.

Nothing here knows about files or engines."""
