"""HocVu's headless core: models and services with no Flask import.

Everything here works from a plain Python session with a SQLAlchemy ``Session``;
the Flask shell in ``app/`` and the modules in ``modules/`` build on it.
"""
