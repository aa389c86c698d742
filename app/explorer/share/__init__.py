"""Shared links: the bookmark state of a view and the server-side store of the data it was fitted to."""
