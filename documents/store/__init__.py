"""The one place that knows the database: compare-and-set with its lease, receipts, indexes."""
