"""HocVu modules: one folder each, declared by ``<name>/plugin.py``'s ``MANIFEST``."""
