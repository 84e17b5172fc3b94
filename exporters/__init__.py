"""Output for paper and spreadsheets: PDF forms and .xlsx ledgers."""
