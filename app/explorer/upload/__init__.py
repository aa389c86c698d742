"""Uploaded data: reading a file (CSV, TSV, Excel) as R reads it, the column types, and a first model."""
