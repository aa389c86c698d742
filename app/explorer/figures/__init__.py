"""Pure plotly figure builders: plain arrays and frames in, ``go.Figure`` out (no Shiny, no engine)."""
