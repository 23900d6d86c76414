"""The dragonfly (``dragonfly.py``; its arrays: ``_network.py``). Routings: ``min.py``, ``valiant.py`` and
``ugal.py``. Route computation in the core: cext/_routing_dragonfly.pxd.
"""
