# cext/fabric/ mirrors the package: the core module fabric._core (its state in _core.pxd, its cycle loop in
# _core.pyx); the parts it is made of are the .pxd files in cext/.
