"""The wire format: exact round trips, and a decoder that refuses anything malformed or hostile."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from autograder.sandbox import codec
from autograder.sandbox.codec import (
    PREFIX,
    WIRE_DTYPES,
    FrameLimits,
    ProtocolError,
    Ref,
    decode,
    dumps,
    encode,
    frame_length,
    loads,
)


def assert_identical(actual: object, expected: object) -> None:
    """Same types all the way down; arrays with the same dtype, shape and bits."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        assert np.ascontiguousarray(actual).tobytes() == np.ascontiguousarray(expected).tobytes()
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_identical(a, e)
    elif isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_identical(actual[key], expected[key])
    elif isinstance(expected, float):
        assert actual.hex() == expected.hex()
    elif isinstance(expected, np.generic):
        assert actual.tobytes() == expected.tobytes()
    else:
        assert actual == expected


SCALARS = [
    None, True, False, 0, -7, 2**70, 1.5, -0.0, float("nan"), float("inf"), float("-inf"), 1e-310,
    "", "héllo\n\"quoted\" \\ \ud800", np.float64(2.5), np.float32(-1.25), np.float16(3), np.int8(-128),
    np.int64(-(2**63)), np.uint64(2**64 - 1), np.uint8(255), np.bool_(True), np.float64("nan"),
    np.float64, np.float32, np.dtype("int32"), np.dtype("<f8"), Ref(3, "TwoLayerNet", "abc"),
]


@pytest.mark.parametrize("value", SCALARS, ids=repr)
def test_scalars_round_trip(value):
    assert_identical(loads(dumps(value)), value)


@pytest.mark.parametrize("dtype", sorted(WIRE_DTYPES))
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (5,), (3, 4), (2, 1, 3, 2)])
def test_arrays_round_trip_as_owned_writable_copies(dtype, shape):
    rng = np.random.default_rng(0)
    array = np.asarray(rng.standard_normal(shape) * 100).astype(dtype)
    decoded = loads(dumps(array))
    assert_identical(decoded, array)
    assert decoded.flags.writeable and decoded.flags.owndata


def test_non_contiguous_arrays_travel_in_c_order():
    array = np.arange(24.0).reshape(4, 6)[::2, ::-3]
    assert_identical(loads(dumps(array)), array)


def test_containers_keep_their_types_and_order():
    value = {"z": [1, (2.0, np.zeros(3)), {"inner": ()}], "a": ([], {}), "mode": "train"}
    assert_identical(loads(dumps(value)), value)


@pytest.mark.parametrize(
    "value",
    [
        np.array([1, "a"], dtype=object),
        np.zeros(3).view(np.matrix),
        np.zeros(3, dtype=">f8"),
        np.zeros(3, dtype=complex),
        np.zeros(2, dtype=[("a", "<f8")]),
        {1, 2},
        {1: "int key"},
        object(),
        b"bytes",
        2**2000,
        float,
    ],
    ids=repr,
)
def test_values_that_cannot_travel_are_refused_or_become_refs(value):
    with pytest.raises(TypeError):
        dumps(value)
    assert loads(dumps(value, to_ref=lambda obj: Ref(1, type(obj).__name__))) == Ref(1, type(value).__name__)


def test_refs_replace_only_the_unencodable_parts_of_a_container():
    class Cache:
        pass

    decoded = loads(dumps((np.ones(2), Cache()), to_ref=lambda obj: Ref(7, type(obj).__name__)))
    assert type(decoded) is tuple and type(decoded[0]) is np.ndarray
    assert decoded[1] == Ref(7, "Cache")


def test_cycles_and_deep_nesting_become_refs_instead_of_recursing():
    loop: list = []
    loop.append(loop)
    deep: list = []
    for _ in range(200):
        deep = [deep]
    for value in (loop, deep):
        decoded = loads(dumps(value, to_ref=lambda obj: Ref(1, type(obj).__name__)))
        while isinstance(decoded, list):
            decoded = decoded[0]
        assert decoded == Ref(1, "list")


def test_make_ref_hook_replaces_refs_while_decoding():
    assert loads(dumps([Ref(4, "Cache")]), make_ref=lambda ref: ("remote", ref.id)) == [("remote", 4)]


def test_header_is_the_compact_json_of_the_documented_nodes():
    text = "h\u00e9 \"q\" \\ \n\x00\u2028\ud800"
    value = {
        "str": text, text: None, "flags": [True, False], "int": -(2**70), "float": float("-inf"),
        "array": np.arange(6.0).reshape(2, 3), "scalar": np.int16(-2), "type": np.float32,
        "dtype": np.dtype("<u8"), "tuple": (1, [], ()), "ref": Ref(3, text, "w"), "empty": {},
    }
    expected = {"blobs": [48, 2], "value": {"k": "dict", "items": [
        ["str", text], [text, None], ["flags", [True, False]], ["int", -(2**70)],
        ["float", {"k": "float", "v": "-inf"}],
        ["array", {"k": "array", "dtype": "<f8", "shape": [2, 3], "blob": 0}],
        ["scalar", {"k": "scalar", "dtype": "<i2", "blob": 1}],
        ["type", {"k": "dtype", "dtype": "<f4", "form": "type"}],
        ["dtype", {"k": "dtype", "dtype": "<u8", "form": "dtype"}],
        ["tuple", {"k": "tuple", "items": [1, [], {"k": "tuple", "items": []}]}],
        ["ref", {"k": "ref", "id": 3, "type": text, "worker": "w"}],
        ["empty", {"k": "dict", "items": []}],
    ]}}
    frame = dumps(value)
    (length,) = struct.unpack(">I", frame[PREFIX.size : PREFIX.size + 4])
    header = frame[PREFIX.size + 4 : PREFIX.size + 4 + length]
    assert header == json.dumps(expected, separators=(",", ":")).encode()
    assert_identical(loads(frame), value)


def test_array_bytes_are_sent_without_a_copy():
    array = np.arange(12.0).reshape(3, 4)
    *_, blob = encode(array)
    assert np.shares_memory(np.frombuffer(blob, np.uint8), array)


def test_any_json_spacing_and_key_order_is_accepted():
    header = b' { "value" : [ {"blob": 0, "shape": [1], "dtype": "<f8", "k": "array"}, "a:b" ] , "blobs" : [8] } '
    decoded = decode(frame_body(None, np.float64(2.5).tobytes(), raw=header))
    assert_identical(decoded, [np.array([2.5]), "a:b"])


def test_colons_in_strings_are_not_mistaken_for_keys():
    value = {"a:b": [":", {"::": "x:"}], "t": (":",)}
    assert_identical(loads(dumps(value)), value)


def test_keys_are_counted_exactly_so_only_colons_in_strings_cost_a_second_parse(monkeypatch):
    class SecondParse(Exception):
        pass

    def refuse(text):
        raise SecondParse

    monkeypatch.setattr(codec, "_JSON_UNIQUE_KEYS", json.JSONDecoder(object_pairs_hook=refuse))
    value = [*SCALARS, np.zeros((2, 3)), {"a": (1, [2.0, {}]), "b": ()}]
    assert_identical(loads(dumps(value)), value)
    with pytest.raises(SecondParse):
        loads(dumps(["a:b"]))


@pytest.mark.parametrize("nest", [lambda v: [v], lambda v: (v,), lambda v: {"k": v}], ids=["list", "tuple", "dict"])
def test_nesting_limit_counts_every_container(nest):
    value = 1
    for _ in range(3):
        value = nest(value)
    assert_identical(loads(dumps(value), limits=FrameLimits(max_depth=3)), value)
    with pytest.raises(ProtocolError, match="nested"):
        loads(dumps(nest(value)), limits=FrameLimits(max_depth=3))


# --- hostile frames ---------------------------------------------------------------------------
def frame_body(header: object, blobs: bytes = b"", *, raw: bytes | None = None) -> bytes:
    """A frame body with this header (JSON-dumped unless `raw` is given) and blob bytes."""
    text = raw if raw is not None else json.dumps(header).encode()
    return struct.pack(">I", len(text)) + text + blobs


def array_node(dtype: str, shape: list, blob: int = 0) -> dict:
    return {"k": "array", "dtype": dtype, "shape": shape, "blob": blob}


HOSTILE = {
    "object dtype": frame_body({"blobs": [8], "value": array_node("|O", [1])}, b"\0" * 8),
    "object dtype (O8)": frame_body({"blobs": [8], "value": array_node("O8", [1])}, b"\0" * 8),
    "big-endian dtype": frame_body({"blobs": [8], "value": array_node(">f8", [1])}, b"\0" * 8),
    "numpy type code": frame_body({"blobs": [8], "value": array_node("d", [1])}, b"\0" * 8),
    "shape/blob mismatch": frame_body({"blobs": [16], "value": array_node("<f8", [3])}, b"\0" * 16),
    "huge declared shape": frame_body({"blobs": [8], "value": array_node("<f8", [2**40, 2**40])}, b"\0" * 8),
    "negative dimension": frame_body({"blobs": [8], "value": array_node("<f8", [-1])}, b"\0" * 8),
    "bool dimension": frame_body({"blobs": [8], "value": array_node("<f8", [True])}, b"\0" * 8),
    "too many dimensions": frame_body({"blobs": [8], "value": array_node("<f8", [1] * 40)}, b"\0" * 8),
    "blob index out of range": frame_body({"blobs": [8], "value": array_node("<f8", [1], blob=1)}, b"\0" * 8),
    "bool blob index": frame_body({"blobs": [8, 8], "value": [array_node("<f8", [1], blob=True),
                                                            array_node("<f8", [1], blob=0)]}, b"\0" * 16),
    "bool blob length": frame_body({"blobs": [True], "value": array_node("|u1", [1])}, b"\0"),
    "str dimension": frame_body({"blobs": [8], "value": array_node("<f8", ["1"])}, b"\0" * 8),
    "array without a shape": frame_body({"blobs": [8], "value": {"k": "array", "dtype": "<f8", "blob": 0}}, b"\0" * 8),
    "scalar with a shape": frame_body({"blobs": [8], "value": array_node("<f8", [1]) | {"k": "scalar"}}, b"\0" * 8),
    "blob used twice": frame_body(
        {"blobs": [8], "value": [array_node("<f8", [1]), array_node("<f8", [1])]}, b"\0" * 8
    ),
    "unused blob": frame_body({"blobs": [8], "value": None}, b"\0" * 8),
    "blob lengths beyond the frame": frame_body({"blobs": [2**60], "value": None}, b"\0" * 8),
    "bool bytes other than 0/1": frame_body({"blobs": [2], "value": array_node("|b1", [2])}, b"\x01\x02"),
    "not JSON": frame_body(None, raw=b"{not json"),
    "not ASCII": frame_body(None, raw='{"blobs": [], "value": "é"}'.encode()),
    "NaN literal": frame_body(None, raw=b'{"blobs": [], "value": NaN}'),
    "duplicate keys": frame_body(None, raw=b'{"blobs": [], "value": 1, "value": 2}'),
    "duplicate keys in a node": frame_body(
        None, raw=b'{"blobs": [], "value": {"k": "float", "v": "0x1p0", "v": "0x1p1"}}'
    ),
    "duplicate keys in a node, ':' in a string": frame_body(
        None, raw=b'{"blobs": [], "value": ["a:b", {"k": "tuple", "items": [], "items": [1]}]}'
    ),
    "duplicate 'items' in a dict node": frame_body(
        None, raw=b'{"blobs": [], "value": {"k": "dict", "items": [[":", 1]], "items": [["a", 2]]}}'
    ),
    "huge int": frame_body(None, raw=b'{"blobs": [], "value": 1' + b"0" * 5000 + b"}"),
    "Infinity literal": frame_body(None, raw=b'{"blobs": [], "value": [-Infinity]}'),
    "bare float with an exponent": frame_body(None, raw=b'{"blobs": [], "value": [1e5]}'),
    "bare float": frame_body({"blobs": [], "value": 1.5}),
    "unknown kind": frame_body({"blobs": [], "value": {"k": "pickle", "v": "cos\nsystem\n"}}),
    "extra key": frame_body({"blobs": [], "value": {"k": "float", "v": "0x1p0", "x": 1}}),
    "bad float": frame_body({"blobs": [], "value": {"k": "float", "v": "__import__('os')"}}),
    "dict with int key": frame_body({"blobs": [], "value": {"k": "dict", "items": [[1, 2]]}}),
    "dict with a key twice": frame_body({"blobs": [], "value": {"k": "dict", "items": [["a", 1], ["a", 2]]}}),
    "dict item not a pair": frame_body({"blobs": [], "value": {"k": "dict", "items": [["a", 1, 2]]}}),
    "dict item a 2-letter str": frame_body({"blobs": [], "value": {"k": "dict", "items": ["ab"]}}),
    "dtype form not a str": frame_body({"blobs": [], "value": {"k": "dtype", "dtype": "<f8", "form": ["type"]}}),
    "tuple items not a list": frame_body({"blobs": [], "value": {"k": "tuple", "items": "abc"}}),
    "ref with a str id": frame_body({"blobs": [], "value": {"k": "ref", "id": "1", "type": "X", "worker": ""}}),
    "header missing keys": frame_body({"value": None}),
    "header not an object": frame_body([1, 2]),
    "nested past the depth limit": frame_body({"blobs": [], "value": json.loads("[" * 65 + "]" * 65)}),
    "dicts nested past the depth limit": frame_body(
        None, raw=b'{"blobs": [], "value": ' + b'{"k": "dict", "items": [["a", ' * 65 + b"1" + b"]]}" * 65 + b"}"
    ),
    "nested past the parser's recursion": frame_body(
        None, raw=b'{"blobs": [], "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    ),
    "header length beyond the frame": struct.pack(">I", 1000) + b"{}",
    "too short": b"\0\0",
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_decoder_refuses_hostile_frames(body):
    with pytest.raises(ProtocolError):
        decode(body)


def test_frame_prefix_declaring_a_huge_size_is_refused_before_reading():
    with pytest.raises(ProtocolError, match="limit"):
        frame_length(struct.pack(">Q", 2**62))
    with pytest.raises(ProtocolError):
        loads(struct.pack(">Q", 100) + frame_body({"blobs": [], "value": None}))


def test_size_limits_are_configurable():
    frame = dumps(np.zeros(1000))
    with pytest.raises(ProtocolError):
        loads(frame, limits=FrameLimits(max_bytes=1000))
    with pytest.raises(ProtocolError):
        loads(dumps([[[1]]]), limits=FrameLimits(max_depth=2))
    assert loads(frame, limits=FrameLimits(max_bytes=10_000)).shape == (1000,)


def test_random_corruption_only_ever_raises_protocol_error():
    rng = np.random.default_rng(1)
    frame = bytearray(dumps({"x": np.arange(6.0).reshape(2, 3), "t": (1, "a", np.float32(2)), "b": np.ones(3, bool)}))
    for _ in range(500):
        corrupt = bytearray(frame)
        for index in rng.integers(8, len(corrupt), size=rng.integers(1, 4)):
            corrupt[index] = rng.integers(0, 256)
        try:
            decode(corrupt[8:])
        except ProtocolError:
            pass
