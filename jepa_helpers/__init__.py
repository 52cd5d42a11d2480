"""Helpers for the fake-jepa-ebm tutorial series.

The notebooks in ``notebooks/`` import this package; every public function
says in its docstring which notebook introduces it.
"""

__version__ = "0.1.0"
