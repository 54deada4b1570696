"""The platform's policy rules, one module per concern; ``__main__`` gathers them into the pack.

Importable without starting the analyzer: only ``policies/__main__.py`` constructs ``PolicyPack``.
Imports inside this package are relative, so it loads both as ``rules`` (how the engine runs the
pack, with ``policies/`` on sys.path) and as ``policies.rules`` (tests, with the project root).
"""
