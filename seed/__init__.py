"""Default word lists, demo organisations, members and accounts."""
