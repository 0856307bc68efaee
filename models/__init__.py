"""The shipped model (``default.joblib``, ``.json`` sidecar, ``.npz`` compiled arrays).

This folder is installed as the package ``detector.models`` (see ``pyproject.toml``), so an
installed detector finds its model with :mod:`importlib.resources` wherever it runs.
"""
