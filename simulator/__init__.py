"""Capacity simulator for a border gate (issue 5).

The model (``model``, ``engine``, ``scenarios``, ``analysis``, ``charts``) is plain Python
with numpy and no Django imports, so it runs in a notebook, a benchmark or a test alone;
``apps``, ``views``, ``storage`` and the ``simulate`` command are the thin Django side.
"""
