"""The LMM Explorer dashboard: pure builders (data, formula, figures, tables) and Shiny panel modules.

``app/app.py`` is the entry point; this package is importable as ``explorer`` because ``shiny run
app/app.py`` puts ``app/`` on ``sys.path`` (the tests do the same in ``tests/app/conftest.py``).
"""
