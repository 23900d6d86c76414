"""The networks fabric builds, one folder per family, each holding everything its kinds need (as SuperSim
keeps a network and its routings together): the kinds (a module each, registered in
`fabric.registry.topologies`: spec parameters, size, builder, closed-form loads for `fabric describe`),
the arrays they build (``_network.py``, numpy loaded only when a network is built), and the routing
algorithms that run on them (a module each, registered in `fabric.registry.routings`). A routing's route
computation is the family's file in the core, ``cext/_routing_<family>.pxd``.

    grid/       mesh, torus, hyperx;   dor, romm, min_adaptive      cext/_routing_dor.pxd, _routing_hyperx.pxd
    tree/       fat_tree, clos;        nca, anca                    cext/_routing_tree.pxd
    dragonfly/  dragonfly;             min, valiant, ugal           cext/_routing_dragonfly.pxd
    graph/      graph, composite;      updown, ecmp                 cext/_routing_table.pxd

Importing this package registers them all: every module not named with a leading underscore.
"""
import importlib
import pkgutil

for _family in pkgutil.iter_modules(__path__):
    _package = importlib.import_module(f"{__name__}.{_family.name}")
    for _m in pkgutil.iter_modules(_package.__path__):
        if not _m.name.startswith("_"):
            importlib.import_module(f"{_package.__name__}.{_m.name}")
