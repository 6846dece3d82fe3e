"""The snippet engine: run each sample in ``snippets/``, check it, and show it on a page.

The data path is ``snippets/<page>/<name>.py`` → :mod:`.run` (one process per run) →
:mod:`.expected` (compare with ``<name>.out``) → :mod:`.fence` (the page) and
``tests/test_snippets.py`` (the suite). :mod:`.batch` runs many at once and
:mod:`.cache` makes sure an unchanged snippet is never run twice.
"""
