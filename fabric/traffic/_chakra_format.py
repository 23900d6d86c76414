"""Reading Chakra execution trace files (``NAME.RANK.et``), with the protobuf library.

A file is a sequence of protobuf messages, each preceded by its length as a varint: one ``GlobalMetadata``,
then one ``Node`` per operation. The message types are described here, field by field, as
mlcommons/chakra ``schema/protobuf/et_def.proto`` defines them (the field numbers are the format; the
files in tests/data/chakra use these), and protobuf builds the classes and parses every message: a field
this description lacks (a newer Chakra's) is skipped. Only the framing, the varint before each message,
is read here.
"""
from __future__ import annotations

import functools

from ..errors import FabricError

NODE_TYPES = {0: "INVALID_NODE", 1: "METADATA_NODE", 2: "MEM_LOAD_NODE", 3: "MEM_STORE_NODE", 4: "COMP_NODE",
              5: "COMM_SEND_NODE", 6: "COMM_RECV_NODE", 7: "COMM_COLL_NODE", 8: "STORAGE_NODE", 9: "BATCH_NODE",
              10: "CHECKPOINT_NODE"}
COLLECTIVE_TYPES = {0: "ALL_REDUCE", 1: "REDUCE", 2: "ALL_GATHER", 3: "GATHER", 4: "SCATTER", 5: "BROADCAST",
                    6: "ALL_TO_ALL", 7: "REDUCE_SCATTER", 8: "REDUCE_SCATTER_BLOCK", 9: "BARRIER"}
# AttributeProto's value (a oneof): field number, name, scalar type; each list type holds `repeated values = 1`
ATTRIBUTE_VALUES = [(3, "double", "double"), (5, "float", "float"), (7, "int32", "int32"), (9, "int64", "int64"),
                    (11, "uint32", "uint32"), (13, "uint64", "uint64"), (15, "sint32", "sint32"),
                    (17, "sint64", "sint64"), (19, "fixed32", "fixed32"), (21, "fixed64", "fixed64"),
                    (23, "sfixed32", "sfixed32"), (25, "sfixed64", "sfixed64"), (27, "bool", "bool"),
                    (29, "string", "string"), (31, "bytes", "bytes")]


@functools.cache
def message_classes():
    """(GlobalMetadata, Node) message classes, built once (protobuf is imported only when a trace is read)."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        raise FabricError("traffic.pattern: chakra traces are read with the protobuf library: pip install "
                          "'fabric-sim[chakra]' (or pip install protobuf)") from None
    F = descriptor_pb2.FieldDescriptorProto
    scalar = {"double": F.TYPE_DOUBLE, "float": F.TYPE_FLOAT, "int32": F.TYPE_INT32, "int64": F.TYPE_INT64,
              "uint32": F.TYPE_UINT32, "uint64": F.TYPE_UINT64, "sint32": F.TYPE_SINT32, "sint64": F.TYPE_SINT64,
              "fixed32": F.TYPE_FIXED32, "fixed64": F.TYPE_FIXED64, "sfixed32": F.TYPE_SFIXED32,
              "sfixed64": F.TYPE_SFIXED64, "bool": F.TYPE_BOOL, "string": F.TYPE_STRING, "bytes": F.TYPE_BYTES}
    file = descriptor_pb2.FileDescriptorProto(name="fabric_chakra_et_def.proto", package="ChakraProtoMsg",
                                              syntax="proto3")

    def field(message, name, number, kind, label=F.LABEL_OPTIONAL, type_name=None, oneof=None):
        f = message.field.add(name=name, number=number, type=kind, label=label)
        if type_name:
            f.type_name = type_name
        if oneof is not None:
            f.oneof_index = oneof

    attribute = file.message_type.add(name="AttributeProto")
    field(attribute, "name", 1, F.TYPE_STRING)
    field(attribute, "doc_string", 2, F.TYPE_STRING)
    attribute.oneof_decl.add(name="value")
    for number, name, kind in ATTRIBUTE_VALUES:
        field(attribute, f"{name}_val", number, scalar[kind], oneof=0)
        listed = file.message_type.add(name=f"{name.capitalize()}List")
        field(listed, "values", 1, scalar[kind], label=F.LABEL_REPEATED)
        field(attribute, f"{name}_list", number + 1, F.TYPE_MESSAGE, type_name=f".ChakraProtoMsg.{listed.name}",
              oneof=0)
    metadata = file.message_type.add(name="GlobalMetadata")
    field(metadata, "version", 1, F.TYPE_STRING)
    field(metadata, "attr", 2, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".ChakraProtoMsg.AttributeProto")
    io = file.message_type.add(name="IOInfo")
    for number, name in ((1, "values"), (2, "shapes"), (3, "types")):
        field(io, name, number, F.TYPE_STRING)
    node = file.message_type.add(name="Node")
    field(node, "id", 1, F.TYPE_UINT64)
    field(node, "name", 2, F.TYPE_STRING)
    field(node, "type", 3, F.TYPE_UINT32)        # enum NodeType: the same varint on the wire
    field(node, "ctrl_deps", 4, F.TYPE_UINT64, F.LABEL_REPEATED)
    field(node, "data_deps", 5, F.TYPE_UINT64, F.LABEL_REPEATED)
    field(node, "start_time_micros", 6, F.TYPE_UINT64)
    field(node, "duration_micros", 7, F.TYPE_UINT64)
    field(node, "inputs", 8, F.TYPE_MESSAGE, type_name=".ChakraProtoMsg.IOInfo")
    field(node, "outputs", 9, F.TYPE_MESSAGE, type_name=".ChakraProtoMsg.IOInfo")
    field(node, "attr", 10, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".ChakraProtoMsg.AttributeProto")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return tuple(message_factory.GetMessageClass(pool.FindMessageTypeByName(f"ChakraProtoMsg.{name}"))
                 for name in ("GlobalMetadata", "Node"))


def attribute_value(attr):
    """An AttributeProto's value (a list type as a Python list), or None if it has none."""
    which = attr.WhichOneof("value")
    if which is None:
        return None
    value = getattr(attr, which)
    return list(value.values) if which.endswith("_list") else value


def read_file(path: str, name: str) -> list:
    """The nodes of one trace file, in file order: dicts with id, name, type (a NODE_TYPES name, or the
    number), deps (data and control), duration_micros and attrs. `name` is how errors name the file."""
    from google.protobuf.message import DecodeError

    GlobalMetadata, Node = message_classes()
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise FabricError(f"traffic.file: {name}: {error.strerror or error}") from None
    nodes, pos, index = [], 0, -1
    while pos < len(data):
        start = pos
        length, shift = 0, 0
        while True:
            if pos >= len(data) or shift > 63:
                raise FabricError(f"traffic.file: {name}: truncated or not a Chakra trace: a message length at "
                                  f"byte {start} runs past the end of the file")
            byte = data[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        if index < 0:
            what = "the GlobalMetadata"
        else:
            what = f"node #{index}" + (f" (after node id {nodes[-1]['id']})" if nodes else "")
        if pos + length > len(data):
            raise FabricError(f"traffic.file: {name}: truncated: {what} at byte {start} is {length} bytes long, "
                              f"but the file ends {len(data) - pos} bytes on")
        message = GlobalMetadata() if index < 0 else Node()
        try:
            message.ParseFromString(data[pos:pos + length])
        except DecodeError as error:
            raise FabricError(f"traffic.file: {name}: malformed {what} at byte {start}: {error}") from None
        pos += length
        if index >= 0:
            nodes.append({"id": message.id, "name": message.name,
                          "type": NODE_TYPES.get(message.type, message.type),
                          "deps": list(message.data_deps) + list(message.ctrl_deps),
                          "duration_micros": message.duration_micros,
                          "attrs": {a.name: attribute_value(a) for a in message.attr}})
        index += 1
    if index < 0:
        raise FabricError(f"traffic.file: {name}: empty: a Chakra trace starts with its GlobalMetadata")
    return nodes


def write_file(path: str, nodes: list, version: str = "0.0.4") -> None:
    """Write a Chakra trace file: the GlobalMetadata, then each node, a dict with id, name, type (a
    NODE_TYPES name), deps (data dependencies), ctrl_deps, duration_micros and attrs ({name: int, bool or
    str}), each message framed by its length (for tests, and for traces made by hand)."""
    GlobalMetadata, Node = message_classes()
    types = {name: number for number, name in NODE_TYPES.items()}
    out = [GlobalMetadata(version=version).SerializeToString()]
    for n in nodes:
        node = Node(id=n["id"], name=n.get("name", ""), type=types[n["type"]],
                    duration_micros=n.get("duration_micros", 0))
        node.data_deps.extend(n.get("deps", ()))
        node.ctrl_deps.extend(n.get("ctrl_deps", ()))
        for key, value in n.get("attrs", {}).items():
            kind = "bool_val" if isinstance(value, bool) else "int64_val" if isinstance(value, int) else "string_val"
            node.attr.add(name=key, **{kind: value})
        out.append(node.SerializeToString())
    with open(path, "wb") as file:
        for message in out:
            file.write(_varint(len(message)) + message)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)
