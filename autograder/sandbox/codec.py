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

`encode` writes the header as compact JSON (no spaces, keys in the order above) and sends array
bytes without copying them; `decode` takes any JSON spacing and key order.

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


_DTYPES = {name: np.dtype(name) for name in WIRE_DTYPES}
"""The wire dtypes by wire name."""


# --- encoding ---------------------------------------------------------------------------------
_SCALAR_TYPES = {dtype.type: name for name, dtype in _DTYPES.items()}
"""Wire names of the NumPy scalar types of the wire dtypes (an alias type such as np.longlong, where
it is distinct, takes the general path through _scalar_wire_dtype)."""
_json_text = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode
"""The compact ASCII JSON text of a plain value."""
_json_str = json.encoder.encode_basestring_ascii
"""The ASCII JSON text of a str (as _json_text gives it, faster)."""


def _json_scalar(value: Any) -> str:
    """The JSON text of a plain value, as _json_text gives it (faster for str and int)."""
    kind = type(value)
    return _json_str(value) if kind is str else repr(value) if kind is int else _json_text(value)


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


def _dtype_node(value: Any) -> str | None:
    """The 'dtype' node of np.dtype instances and exact NumPy scalar types, or None."""
    if type(value) is type and issubclass(value, np.generic):
        dtype = np.dtype(value)
        if dtype.type is value and _wire_dtype(dtype):
            return '{"k":"dtype","dtype":"%s","form":"type"}' % dtype.str
    elif isinstance(value, np.dtype) and _wire_dtype(value) and type(value) is type(np.dtype(value.str)):
        return '{"k":"dtype","dtype":"%s","form":"dtype"}' % value.str
    return None


def _bytes_of(array: Any) -> memoryview:
    """The raw C-order bytes of an array or NumPy scalar as a flat byte view (no copy if C-contiguous)."""
    try:
        return memoryview(array).cast("B")
    except TypeError:  # not C-contiguous, or empty (a memoryview with a 0 in its shape does not cast)
        array = np.asarray(array)
        if not array.flags.c_contiguous:
            array = array.copy(order="C")
        return memoryview(array.reshape(-1).view(np.uint8))


class _Encoder:
    """Writes the header JSON of one value's node, collecting the blobs it refers to.

    The text is compact JSON with the keys in the order of the module docstring. Wire dtype names
    and hex floats need no escaping; strings go through json's own ASCII escaping.
    """

    def __init__(self, to_ref: Callable[[Any], Ref] | None, max_depth: int):
        self.to_ref = to_ref
        self.max_depth = max_depth
        self.blobs: list[memoryview] = []
        self.path: set[int] = set()

    def unencodable(self, value: Any, why: str) -> str:
        if self.to_ref is None:
            raise TypeError(f"cannot encode {type(value).__name__}: {why}")
        return self.node(self.to_ref(value), depth=0)

    def blob(self, data: memoryview) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def node(self, value: Any, depth: int) -> str:
        encode = _ENCODE_BY_TYPE.get(type(value))
        return self.other(value) if encode is None else encode(self, value, depth)

    def null(self, value: None, depth: int) -> str:
        return "null"

    def boolean(self, value: bool, depth: int) -> str:
        return "true" if value else "false"

    def string(self, value: str, depth: int) -> str:
        return _json_str(value)

    def integer(self, value: int, depth: int) -> str:
        if value.bit_length() > MAX_INT_BITS:
            return self.unencodable(value, f"int wider than {MAX_INT_BITS} bits")
        return repr(value)

    def real(self, value: float, depth: int) -> str:
        return '{"k":"float","v":"%s"}' % value.hex()

    def ref(self, value: Ref, depth: int) -> str:
        return '{"k":"ref","id":%s,"type":%s,"worker":%s}' % (
            _json_scalar(value.id), _json_scalar(value.type_name), _json_scalar(value.worker)
        )

    def array(self, value: np.ndarray, depth: int) -> str:
        dtype, ndim = value.dtype.str, value.ndim
        if dtype not in WIRE_DTYPES or ndim > DEFAULT_LIMITS.max_ndim:
            return self.unencodable(value, f"array of dtype {value.dtype}")
        return '{"k":"array","dtype":"%s","shape":[%s],"blob":%d}' % (
            dtype, _SHAPE_FORMATS[ndim] % value.shape, self.blob(_bytes_of(value))
        )

    def scalar(self, value: np.generic, depth: int) -> str:
        return '{"k":"scalar","dtype":"%s","blob":%d}' % (_SCALAR_TYPES[type(value)], self.blob(_bytes_of(value)))

    def other(self, value: Any) -> str:
        """Scalars of NumPy alias types, dtypes, or a value that is not encodable."""
        scalar = _scalar_wire_dtype(value)
        if scalar is not None:
            return '{"k":"scalar","dtype":"%s","blob":%d}' % (scalar, self.blob(_bytes_of(np.asarray(value))))
        dtype_node = _dtype_node(value)
        if dtype_node is not None:
            return dtype_node
        return self.unencodable(value, "not a plain value")

    def container(self, value: list | tuple | dict, depth: int) -> str:
        if depth >= self.max_depth:
            return self.unencodable(value, f"nested deeper than {self.max_depth}")
        kind = type(value)
        if not value:
            return _EMPTY[kind]
        if id(value) in self.path:
            return self.unencodable(value, "contains itself")
        if kind is dict and not _STR.issuperset(map(type, value)):
            return self.unencodable(value, "dict with non-str keys")
        self.path.add(id(value))
        try:
            if kind is dict:
                return '{"k":"dict","items":[%s]}' % ",".join(
                    ["[%s,%s]" % (_json_str(key), self.node(item, depth + 1)) for key, item in value.items()]
                )
            items = ",".join([self.node(item, depth + 1) for item in value])
            return "[%s]" % items if kind is list else '{"k":"tuple","items":[%s]}' % items
        finally:
            self.path.discard(id(value))


_SHAPE_FORMATS = [",".join(["%d"] * ndim) for ndim in range(DEFAULT_LIMITS.max_ndim + 1)]
"""Formats of the items of a shape's JSON list, by ndim."""
_EMPTY = {list: "[]", tuple: '{"k":"tuple","items":[]}', dict: '{"k":"dict","items":[]}'}
_STR = frozenset([str])
_ENCODE_BY_TYPE: dict[type, Callable[[_Encoder, Any, int], str]] = {
    type(None): _Encoder.null,
    bool: _Encoder.boolean,
    str: _Encoder.string,
    int: _Encoder.integer,
    float: _Encoder.real,
    Ref: _Encoder.ref,
    np.ndarray: _Encoder.array,
    list: _Encoder.container,
    tuple: _Encoder.container,
    dict: _Encoder.container,
    **{scalar_type: _Encoder.scalar for scalar_type in _SCALAR_TYPES},
}
"""How the encoder writes a value of each exact type; other types go to _Encoder.other."""


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
    node = encoder.node(value, depth=0)
    lengths = [blob.nbytes for blob in encoder.blobs]
    header = ('{"blobs":[%s],"value":%s}' % (",".join(map(str, lengths)), node)).encode("ascii")
    body_length = HEADER_LENGTH.size + len(header) + sum(lengths)
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


# --- decoding ---------------------------------------------------------------------------------
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


def _refuse_float(text: str) -> Any:
    raise ProtocolError("header holds a bare JSON float")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ProtocolError("header object has duplicate keys")
    return result


_JSON = json.JSONDecoder(parse_float=_refuse_float, parse_constant=_refuse_constant)
"""Parses a header into dicts, lists, str, int, bool and None, refusing floats and NaN/Infinity."""
_JSON_UNIQUE_KEYS = json.JSONDecoder(
    object_pairs_hook=_unique_keys, parse_float=_refuse_float, parse_constant=_refuse_constant
)
"""The same, also refusing objects with a key twice (slower: it calls Python for every object)."""


def _parse(text: str) -> Any:
    """What _JSON.decode(text) gives, faster for text with no whitespace around the value."""
    try:
        value, end = _JSON.scan_once(text, 0)
        if end == len(text):
            return value
    except StopIteration:  # no value at 0: whitespace first, or not JSON
        pass
    return _JSON.decode(text)


_HEADER_KEYS = frozenset(["blobs", "value"])
_JSON_ATOMS = frozenset([type(None), bool, int, str])
"""Types of the plain values a parsed header holds, decoded as they are."""


class _Decoder:
    """Rebuilds the value of a parsed header, checking each node against the format and the blobs."""

    __slots__ = ("body", "max_depth", "max_ndim", "make_ref", "lengths", "starts", "unused", "pairs")

    def __init__(self, body: memoryview, lengths: Any, blobs_start: int, limits: FrameLimits,
                 make_ref: Callable[[Ref], Any] | None):
        if type(lengths) is not list:
            raise ProtocolError("header 'blobs' must list non-negative lengths")
        self.starts: list[int] = []
        """Where each blob starts in the body."""
        end = blobs_start
        for length in lengths:
            if type(length) is not int or length < 0:
                raise ProtocolError("header 'blobs' must list non-negative lengths")
            self.starts.append(end)
            end += length
        if end != len(body):
            raise ProtocolError(f"blobs total {end - blobs_start} bytes but the frame holds {len(body) - blobs_start}")
        self.body = body
        self.max_depth = limits.max_depth
        self.max_ndim = limits.max_ndim
        self.make_ref = make_ref
        self.lengths = lengths
        self.unused = set(range(len(lengths)))
        """Indices of the blobs no node has taken yet."""
        self.pairs = len(_HEADER_KEYS)
        """Key-value pairs in the objects decoded so far, the header's own included."""

    def value(self, node: Any, depth: int) -> Any:
        kind = type(node)
        if kind in _JSON_ATOMS:
            return node
        if kind is list:
            return self.items(node, depth)
        try:  # node is a dict: a parsed header holds nothing else
            keys, decode_node = _KINDS[node.get("k")]
        except (KeyError, TypeError):  # TypeError: the kind is a list or dict
            raise ProtocolError(f"unknown node kind {node.get('k')!r}") from None
        if node.keys() != keys:
            raise ProtocolError(f"{node['k']!r} node has keys {sorted(node)}, expected {sorted(keys)}")
        self.pairs += len(keys)
        return decode_node(self, node, depth)

    def items(self, nodes: list, depth: int) -> list:
        """The values of the items of a list or tuple at this depth."""
        if depth >= self.max_depth:
            raise ProtocolError(f"values nested deeper than {self.max_depth}")
        if _JSON_ATOMS.issuperset(map(type, nodes)):
            return nodes  # the parser's own list, shared with nothing
        return [item if type(item) in _JSON_ATOMS else self.value(item, depth + 1) for item in nodes]

    def real(self, node: dict, depth: int) -> float:
        text = node["v"]
        if type(text) is not str or len(text) > 64:
            raise ProtocolError(f"bad float {text!r}")
        try:
            return float.fromhex(text)
        except ValueError:
            raise ProtocolError(f"bad float {text!r}") from None

    def blob(self, node: dict, depth: int) -> np.ndarray | np.generic:
        """An 'array' node's copy of its blob, or the value of a 'scalar' node (it has no shape)."""
        scalar = "shape" not in node
        shape = [] if scalar else node["shape"]
        if type(shape) is not list or len(shape) > self.max_ndim:
            raise ProtocolError(f"bad array shape {shape!r}")
        for size in shape:  # a loop: faster than all() on a few items
            if type(size) is not int or size < 0:
                raise ProtocolError(f"bad array shape {shape!r}")
        dtype, index = _named_dtype(node["dtype"]), node["blob"]
        if type(index) is not int or not 0 <= index < len(self.lengths):
            raise ProtocolError(f"blob index {index!r} out of range")
        try:
            self.unused.remove(index)
        except KeyError:
            raise ProtocolError(f"blob {index} used twice") from None
        count = math.prod(shape)
        if count * dtype.itemsize != self.lengths[index]:
            raise ProtocolError(
                f"blob {index} has {self.lengths[index]} bytes but dtype {dtype.str} and shape "
                f"{shape} need {count * dtype.itemsize}"
            )
        if count == 0:
            return np.empty(shape, dtype)
        offset = self.starts[index]
        if dtype is _BOOL and (np.frombuffer(self.body, np.uint8, count, offset) > 1).any():
            raise ProtocolError(f"blob {index} holds bool bytes other than 0 and 1")
        array = np.ndarray(shape, dtype, self.body, offset).copy()
        return array[()] if scalar else array

    def dtype(self, node: dict, depth: int) -> Any:
        dtype, form = _named_dtype(node["dtype"]), node["form"]
        if form == "type":
            return dtype.type
        if form == "dtype":
            return dtype
        raise ProtocolError(f"bad dtype form {form!r}")

    def sequence(self, node: dict, depth: int) -> tuple:
        items = node["items"]
        if type(items) is not list:
            raise ProtocolError("tuple items must be a list")
        return tuple(self.items(items, depth))

    def mapping(self, node: dict, depth: int) -> dict:
        pairs = node["items"]
        if type(pairs) is not list:
            raise ProtocolError("dict items must be a list")
        if depth >= self.max_depth:
            raise ProtocolError(f"values nested deeper than {self.max_depth}")
        result = {}
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise ProtocolError("dict items must be [str key, value] pairs")
            key, item = pair
            result[key] = item if type(item) in _JSON_ATOMS else self.value(item, depth + 1)
        if len(result) != len(pairs):
            raise ProtocolError("dict has a key twice")
        return result

    def ref(self, node: dict, depth: int) -> Any:
        ident, type_name, worker = node["id"], node["type"], node["worker"]
        if type(ident) is not int or type(type_name) is not str or type(worker) is not str:
            raise ProtocolError("bad ref")
        ref = Ref(ident, type_name[:200], worker[:200])
        return ref if self.make_ref is None else self.make_ref(ref)


def _named_dtype(name: Any) -> np.dtype:
    """The wire dtype a header names; ProtocolError if it names none."""
    dtype = _DTYPES.get(name) if type(name) is str else None
    if dtype is None:
        raise ProtocolError(f"dtype {name!r} is not allowed")
    return dtype


_BOOL = _DTYPES["|b1"]
_KINDS: dict[str, tuple[frozenset[str], Callable[[_Decoder, dict, int], Any]]] = {
    "float": (frozenset(["k", "v"]), _Decoder.real),
    "scalar": (frozenset(["k", "dtype", "blob"]), _Decoder.blob),
    "array": (frozenset(["k", "dtype", "shape", "blob"]), _Decoder.blob),
    "dtype": (frozenset(["k", "dtype", "form"]), _Decoder.dtype),
    "tuple": (frozenset(["k", "items"]), _Decoder.sequence),
    "dict": (frozenset(["k", "items"]), _Decoder.mapping),
    "ref": (frozenset(["k", "id", "type", "worker"]), _Decoder.ref),
}
"""The exact keys and the decoder of each node kind; nothing else is accepted."""


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
    (header_length,) = HEADER_LENGTH.unpack_from(body)
    if header_length > limits.max_header_bytes or HEADER_LENGTH.size + header_length > len(body):
        raise ProtocolError(f"header length {header_length} is beyond the frame or the limit")
    blobs_start = HEADER_LENGTH.size + header_length
    try:
        text = str(body[HEADER_LENGTH.size : blobs_start], "ascii")
        header = _parse(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        if isinstance(error, ProtocolError):
            raise
        raise ProtocolError(f"header is not valid JSON: {type(error).__name__}") from None
    if type(header) is not dict or header.keys() != _HEADER_KEYS:
        raise ProtocolError("header must be an object with keys 'blobs' and 'value'")
    decoder = _Decoder(body, header["blobs"], blobs_start, limits, make_ref)
    try:
        value = decoder.value(header["value"], depth=0)
        # No object had a key twice: each one decoded (any other fails a check above) has exactly
        # its keys, and each of its key-value pairs holds one ':' outside strings. So if the header
        # holds no more ':' than the pairs decoded, there are no others; else (some ':' are in
        # strings) parse it again, refusing duplicates.
        if text.count(":") != decoder.pairs:
            _JSON_UNIQUE_KEYS.decode(text)
    except RecursionError:
        raise ProtocolError("values nested too deeply") from None
    if decoder.unused:
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
