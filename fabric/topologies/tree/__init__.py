"""Trees: the k-ary n-tree (``fat_tree.py``) and the folded Clos with levels and planes (``clos.py``); their
arrays: ``_network.py``. Routings: ``nca.py`` and ``anca.py`` (nearest common ancestor, oblivious and
adaptive up ports). Route computation in the core: cext/_routing_tree.pxd.
"""
