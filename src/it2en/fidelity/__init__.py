"""What keeps a translation faithful: placeholders, post-editing, inline markup transfer, checks and flags.

Nothing here knows about files or engines."""
