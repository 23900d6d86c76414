"""Grids of routers with coordinates: mesh, torus and HyperX.

Kinds: ``mesh.py``, ``torus.py`` (both built by ``_regular.py``, which also has their closed-form channel
loads), ``hyperx.py``; their arrays: ``_network.py``. Routings: ``dor.py`` (dimension order on all three),
``romm.py`` (mesh), ``min_adaptive.py`` (HyperX). Route computation in the core: cext/_routing_dor.pxd
(mesh and torus) and cext/_routing_hyperx.pxd.
"""
