"""The store: the only code that knows the database under MongoEngine (FerretDB on PostgreSQL, or MongoDB)."""
