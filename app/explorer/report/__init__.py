"""The downloadable HTML report of a view: content gathered from the panels' builders, rendered as one
self-contained file (plotly.js inlined, no request to any host)."""
