"""Pure table builders: DataFrames of a fit's summary, testable without a browser."""
