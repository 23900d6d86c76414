"""Networks from an edge list: ``graph.py`` (a file of links) and ``composite.py`` (pods of another kind
joined by spine switches); their arrays come from `fabric.network.graph_network`. Routings: ``updown.py``
and ``ecmp.py``, over the distance tables of ``_tables.py`` (which also gives the channel loads that
`fabric describe` reports for them). Route computation in the core: cext/_routing_table.pxd.
"""
