"""Safe wire format between the trusted grader and the worker running student code.

A frame is `>Q` body length + body; the body is `>I` header length + ASCII JSON header + blobs.
The header is `{"blobs": [n0, n1, ...], "value": node}`; a node is JSON null/true/false/int/string,
a JSON list (Python list) or a tagged object:

    {"k": "float",  "v": "0x1.8p+1"}                        float (hex: exact, nan and inf included)
    {"k": "scalar", "dtype": "<f8", "blob": i}               NumPy scalar such as np.float64(3.0)
    {"k": "array",  "dtype": "<f8", "shape": [2, 3], "blob": i}   np.ndarray, C order
    {"k": "dtype",  "dtype": "<f8", "form": "type"|"dtype"}  np.float64 or np.dtype("float64")
    {"k": "tuple",  "items": [node, ...]}
    {"k": "dict",   "items": [[key, node], ...]}             str keys only
    {"k": "ref",    "id": 3, "type": "TwoLayerNet", "worker": "9f2c..."}   a handle to a remote object

`decode` runs in the trusted process on bytes the student controls: it whitelists every node kind,
key and dtype, checks each blob's length against its dtype and shape, bounds nesting, header and
frame sizes, and raises ProtocolError on any violation. It never evaluates or unpickles anything.
Decoded arrays are writable copies that own their memory.

This module must stay self-contained (standard library and NumPy only): the worker loads it by
path, without the autograder package on its sys.path.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

PREFIX = struct.Struct(">Q")
HEADER_LENGTH = struct.Struct(">I")
WIRE_DTYPES = frozenset(
    ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8"]
)
"""Array and scalar dtypes that cross the wire: bool, ints, uints and floats, little-endian."""
MAX_INT_BITS = 1024
"""Python ints wider than this are not sent as values (JSON parsers refuse huge numbers)."""
IOV_MAX = 1024
"""Most buffers one os.writev takes (Linux's limit)."""
CONTROL_BYTES = 1 << 16
"""Largest message on a zygote's control socket (one datagram each way)."""


class ProtocolError(ValueError):
    """A frame is malformed, hostile or beyond the limits; the message says what and where."""


@dataclass(frozen=True)
class Ref:
    """A handle to an object that stays in the worker (a cache, a model, anything not encodable)."""

    id: int
    """The worker's handle number."""
    type_name: str
    """The object's type name, e.g. 'TwoLayerNet' or 'LyingArray'."""
    worker: str = ""
    """Token of the worker process that holds the object; a restarted worker has a new one."""


@dataclass(frozen=True)
class FrameLimits:
    """Bounds the decoder enforces (and the encoder respects, by depth)."""

    max_bytes: int = 1 << 30
    """Largest frame body accepted."""
    max_header_bytes: int = 64 << 20
    """Largest JSON header accepted."""
    max_depth: int = 64
    """Deepest container nesting; the top-level value is depth 0."""
    max_ndim: int = 32
    """Most array dimensions."""


DEFAULT_LIMITS = FrameLimits()


def _wire_dtype(dtype: Any) -> str | None:
    """The whitelisted wire name of a dtype, or None."""
    name = dtype.str
    return name if name in WIRE_DTYPES else None


def _scalar_wire_dtype(value: Any) -> str | None:
    """The wire dtype of an exact NumPy scalar (not a subclass), or None."""
    if not isinstance(value, np.generic):
        return None
    try:
        dtype = np.dtype(type(value))
    except TypeError:
        return None
    return _wire_dtype(dtype) if dtype.type is type(value) else None


def _dtype_node(value: Any) -> dict | None:
    """A 'dtype' node for np.dtype instances and exact NumPy scalar types, or None."""
    if type(value) is type and issubclass(value, np.generic):
        dtype = np.dtype(value)
        if dtype.type is value and _wire_dtype(dtype):
            return {"k": "dtype", "dtype": dtype.str, "form": "type"}
    elif isinstance(value, np.dtype) and _wire_dtype(value) and type(value) is type(np.dtype(value.str)):
        return {"k": "dtype", "dtype": value.str, "form": "dtype"}
    return None


def _bytes_of(array: np.ndarray) -> memoryview:
    """The raw C-order bytes of an array as a flat byte view."""
    if not array.flags.c_contiguous:
        array = array.copy(order="C")
    return memoryview(array.reshape(-1).view(np.uint8))


class _Encoder:
    def __init__(self, to_ref: Callable[[Any], Ref] | None, max_depth: int):
        self.to_ref = to_ref
        self.max_depth = max_depth
        self.blobs: list[memoryview] = []
        self.path: set[int] = set()

    def unencodable(self, value: Any, why: str) -> Any:
        if self.to_ref is None:
            raise TypeError(f"cannot encode {type(value).__name__}: {why}")
        return self.node(self.to_ref(value), depth=0)

    def blob(self, data: memoryview) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def node(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if value is None or kind is bool or kind is str:
            return value
        if kind is int:
            if value.bit_length() > MAX_INT_BITS:
                return self.unencodable(value, f"int wider than {MAX_INT_BITS} bits")
            return value
        if kind is float:
            return {"k": "float", "v": value.hex()}
        if kind is Ref:
            return {"k": "ref", "id": value.id, "type": value.type_name, "worker": value.worker}
        if kind is np.ndarray:
            dtype = _wire_dtype(value.dtype)
            if dtype is None or value.ndim > DEFAULT_LIMITS.max_ndim:
                return self.unencodable(value, f"array of dtype {value.dtype}")
            return {"k": "array", "dtype": dtype, "shape": list(value.shape), "blob": self.blob(_bytes_of(value))}
        scalar = _scalar_wire_dtype(value)
        if scalar is not None:
            return {"k": "scalar", "dtype": scalar, "blob": self.blob(_bytes_of(np.asarray(value)))}
        dtype_node = _dtype_node(value)
        if dtype_node is not None:
            return dtype_node
        if kind in (list, tuple, dict):
            return self.container(value, depth)
        return self.unencodable(value, "not a plain value")

    def container(self, value: Any, depth: int) -> Any:
        if depth >= self.max_depth:
            return self.unencodable(value, f"nested deeper than {self.max_depth}")
        if id(value) in self.path:
            return self.unencodable(value, "contains itself")
        if type(value) is dict and not all(type(key) is str for key in value):
            return self.unencodable(value, "dict with non-str keys")
        self.path.add(id(value))
        try:
            if type(value) is dict:
                return {"k": "dict", "items": [[key, self.node(item, depth + 1)] for key, item in value.items()]}
            items = [self.node(item, depth + 1) for item in value]
            return items if type(value) is list else {"k": "tuple", "items": items}
        finally:
            self.path.discard(id(value))


def encode(
    value: Any,
    *,
    to_ref: Callable[[Any], Ref] | None = None,
    max_depth: int = DEFAULT_LIMITS.max_depth,
) -> list[bytes | memoryview]:
    """Encode a value as one frame, returned as chunks to write (or join) in order.

    Args:
        value: None, bool, int, float, str, NumPy scalars and arrays of a WIRE_DTYPES dtype
            (exact types, not subclasses), NumPy dtypes, Ref, and list/tuple/dict (str keys) of these.
        to_ref: called with every value that is not encodable (the worker registers it and
            returns its Ref); without it such a value raises TypeError.
        max_depth: containers at this depth or deeper are treated as not encodable.
    """
    encoder = _Encoder(to_ref, max_depth)
    tree = encoder.node(value, depth=0)
    header = json.dumps(
        {"blobs": [blob.nbytes for blob in encoder.blobs], "value": tree},
        ensure_ascii=True,
        allow_nan=False,
        separators=(",", ":"),
    ).encode("ascii")
    body_length = HEADER_LENGTH.size + len(header) + sum(blob.nbytes for blob in encoder.blobs)
    return [PREFIX.pack(body_length), HEADER_LENGTH.pack(len(header)), header, *encoder.blobs]


def unwritten(chunks: list[bytes | memoryview], written: int) -> list[memoryview]:
    """What is left of a frame's chunks once their first `written` bytes are written: write them
    with os.writev(fd, left[:IOV_MAX]), in as few system calls as the pipe takes (each one wakes
    the reader), until nothing is left."""
    views = [memoryview(chunk).cast("B") for chunk in chunks]
    while views and written >= views[0].nbytes:
        written -= views.pop(0).nbytes
    if views:
        views[0] = views[0][written:]
    return views


def dumps(value: Any, **options: Any) -> bytes:
    """The whole frame of `encode(value, **options)` as bytes."""
    return b"".join(encode(value, **options))


def frame_length(prefix: bytes, limits: FrameLimits = DEFAULT_LIMITS) -> int:
    """The body length an 8-byte frame prefix declares; ProtocolError if beyond the limits."""
    if len(prefix) != PREFIX.size:
        raise ProtocolError(f"frame prefix has {len(prefix)} bytes, expected {PREFIX.size}")
    (length,) = PREFIX.unpack(prefix)
    if length > limits.max_bytes:
        raise ProtocolError(f"frame declares {length} bytes, more than the limit of {limits.max_bytes}")
    if length < HEADER_LENGTH.size:
        raise ProtocolError(f"frame declares {length} bytes, too short for a header")
    return length


def _refuse_constant(name: str) -> Any:
    raise ProtocolError(f"header holds the non-JSON constant {name}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ProtocolError("header object has duplicate keys")
    return result


class _Decoder:
    def __init__(self, body: Any, blob_lengths: list[int], blobs_start: int, limits: FrameLimits,
                 make_ref: Callable[[Ref], Any] | None):
        self.body = body
        self.limits = limits
        self.make_ref = make_ref
        self.offsets: list[int] = []
        offset = blobs_start
        for length in blob_lengths:
            self.offsets.append(offset)
            offset += length
        self.lengths = blob_lengths
        self.used = [False] * len(blob_lengths)

    def keys(self, node: dict, expected: set[str]) -> None:
        if node.keys() != expected:
            raise ProtocolError(f"{node.get('k')!r} node has keys {sorted(node)}, expected {sorted(expected)}")

    def nest(self, depth: int) -> None:
        if depth >= self.limits.max_depth:
            raise ProtocolError(f"values nested deeper than {self.limits.max_depth}")

    def dtype(self, name: Any) -> np.dtype:
        if type(name) is not str or name not in WIRE_DTYPES:
            raise ProtocolError(f"dtype {name!r} is not allowed")
        return np.dtype(name)

    def array(self, dtype: np.dtype, shape: tuple[int, ...], index: Any) -> np.ndarray:
        if type(index) is not int or not 0 <= index < len(self.lengths):
            raise ProtocolError(f"blob index {index!r} out of range")
        if self.used[index]:
            raise ProtocolError(f"blob {index} used twice")
        self.used[index] = True
        count = math.prod(shape)
        if count * dtype.itemsize != self.lengths[index]:
            raise ProtocolError(
                f"blob {index} has {self.lengths[index]} bytes but dtype {dtype.str} and shape "
                f"{shape} need {count * dtype.itemsize}"
            )
        if count == 0:
            return np.empty(shape, dtype)
        offset = self.offsets[index]
        if dtype.kind == "b":
            raw = np.frombuffer(self.body, np.uint8, count, offset)
            if (raw > 1).any():
                raise ProtocolError(f"blob {index} holds bool bytes other than 0 and 1")
        return np.frombuffer(self.body, dtype, count, offset).reshape(shape).copy()

    def node(self, node: Any, depth: int) -> Any:
        kind = type(node)
        if node is None or kind is bool or kind is int or kind is str:
            return node
        if kind is float:
            raise ProtocolError("header holds a bare JSON float")
        if kind is list:
            self.nest(depth)
            return [self.node(item, depth + 1) for item in node]
        tag = node.get("k")
        if tag in ("tuple", "dict"):
            self.nest(depth)
        if tag == "float":
            self.keys(node, {"k", "v"})
            text = node["v"]
            if type(text) is not str or len(text) > 64:
                raise ProtocolError(f"bad float {text!r}")
            try:
                return float.fromhex(text)
            except ValueError:
                raise ProtocolError(f"bad float {text!r}") from None
        if tag == "array":
            self.keys(node, {"k", "dtype", "shape", "blob"})
            shape = node["shape"]
            if type(shape) is not list or len(shape) > self.limits.max_ndim or not all(
                type(n) is int and n >= 0 for n in shape
            ):
                raise ProtocolError(f"bad array shape {shape!r}")
            return self.array(self.dtype(node["dtype"]), tuple(shape), node["blob"])
        if tag == "scalar":
            self.keys(node, {"k", "dtype", "blob"})
            return self.array(self.dtype(node["dtype"]), (), node["blob"])[()]
        if tag == "dtype":
            self.keys(node, {"k", "dtype", "form"})
            dtype = self.dtype(node["dtype"])
            if node["form"] not in ("type", "dtype"):
                raise ProtocolError(f"bad dtype form {node['form']!r}")
            return dtype.type if node["form"] == "type" else dtype
        if tag == "tuple":
            self.keys(node, {"k", "items"})
            if type(node["items"]) is not list:
                raise ProtocolError("tuple items must be a list")
            return tuple(self.node(item, depth + 1) for item in node["items"])
        if tag == "dict":
            self.keys(node, {"k", "items"})
            return self.mapping(node["items"], depth)
        if tag == "ref":
            self.keys(node, {"k", "id", "type", "worker"})
            ident, type_name, worker = node["id"], node["type"], node["worker"]
            if type(ident) is not int or type(type_name) is not str or type(worker) is not str:
                raise ProtocolError("bad ref")
            ref = Ref(ident, type_name[:200], worker[:200])
            return ref if self.make_ref is None else self.make_ref(ref)
        raise ProtocolError(f"unknown node kind {tag!r}")

    def mapping(self, items: Any, depth: int) -> dict:
        if type(items) is not list:
            raise ProtocolError("dict items must be a list")
        result = {}
        for pair in items:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise ProtocolError("dict items must be [str key, value] pairs")
            if pair[0] in result:
                raise ProtocolError(f"dict has the key {pair[0]!r} twice")
            result[pair[0]] = self.node(pair[1], depth + 1)
        return result


def decode(
    body: bytes | bytearray | memoryview,
    *,
    limits: FrameLimits = DEFAULT_LIMITS,
    make_ref: Callable[[Ref], Any] | None = None,
) -> Any:
    """Decode a frame body (the bytes after the 8-byte prefix); ProtocolError if it is not valid.

    Args:
        body: the frame body, untrusted.
        limits: size and nesting bounds.
        make_ref: turns each decoded Ref into the object to return in its place.
    """
    body = memoryview(body).cast("B")
    if len(body) > limits.max_bytes:
        raise ProtocolError(f"frame of {len(body)} bytes is over the limit of {limits.max_bytes}")
    if len(body) < HEADER_LENGTH.size:
        raise ProtocolError("frame too short for a header")
    (header_length,) = HEADER_LENGTH.unpack(body[: HEADER_LENGTH.size])
    if header_length > limits.max_header_bytes or HEADER_LENGTH.size + header_length > len(body):
        raise ProtocolError(f"header length {header_length} is beyond the frame or the limit")
    blobs_start = HEADER_LENGTH.size + header_length
    try:
        text = bytes(body[HEADER_LENGTH.size : blobs_start]).decode("ascii")
        header = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        if isinstance(error, ProtocolError):
            raise
        raise ProtocolError(f"header is not valid JSON: {type(error).__name__}") from None
    if type(header) is not dict or header.keys() != {"blobs", "value"}:
        raise ProtocolError("header must be an object with keys 'blobs' and 'value'")
    lengths = header["blobs"]
    if type(lengths) is not list or not all(type(n) is int and n >= 0 for n in lengths):
        raise ProtocolError("header 'blobs' must list non-negative lengths")
    if blobs_start + sum(lengths) != len(body):
        raise ProtocolError(f"blobs total {sum(lengths)} bytes but the frame holds {len(body) - blobs_start}")
    decoder = _Decoder(body, lengths, blobs_start, limits, make_ref)
    try:
        value = decoder.node(header["value"], depth=0)
    except RecursionError:
        raise ProtocolError("values nested too deeply") from None
    if not all(decoder.used):
        raise ProtocolError("frame holds blobs no value uses")
    return value


def loads(frame: bytes | bytearray | memoryview, **options: Any) -> Any:
    """Decode a whole frame (prefix included), checking the prefix against the body."""
    frame = memoryview(frame).cast("B")
    limits = options.get("limits", DEFAULT_LIMITS)
    length = frame_length(bytes(frame[: PREFIX.size]), limits)
    if length != len(frame) - PREFIX.size:
        raise ProtocolError(f"frame declares {length} bytes but holds {len(frame) - PREFIX.size}")
    return decode(frame[PREFIX.size :], **options)
