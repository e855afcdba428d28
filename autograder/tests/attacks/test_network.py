"""Code that uses the network: closed where the operating system lets the grader close it."""

from __future__ import annotations

import secrets
import socket

import pytest

from autograder.sandbox import StudentError, StudentProxy
from autograder.tests.attacks.conftest import needs

NETWORK = """
    import socket

    def connect(host, port):
        with socket.create_connection((host, port), timeout=1):
            return "connected"

    def resolve(name):
        return socket.getaddrinfo(name, 80)[0][4][0]

    def connect_unix(address):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(address)
            return "connected"

    def interfaces():
        return [name for _, name in socket.if_nameindex()]
"""

pytestmark = needs("network")


@pytest.mark.parametrize("address", [("1.1.1.1", 53), ("127.0.0.1", 22)], ids=["internet", "loopback"])
def test_no_connection_leaves_the_worker(hostile, address):
    with pytest.raises(StudentError) as caught:
        StudentProxy(hostile(NETWORK)).layers.connect(*address)
    assert caught.value.kind in ("OSError", "ConnectionRefusedError", "TimeoutError")


def test_names_do_not_resolve(hostile):
    with pytest.raises(StudentError) as caught:
        StudentProxy(hostile(NETWORK)).layers.resolve("pypi.org")
    assert caught.value.kind == "gaierror"


def test_only_a_loopback_interface_exists(hostile):
    assert StudentProxy(hostile(NETWORK)).layers.interfaces() == ["lo"]


def test_the_graders_abstract_unix_sockets_are_out_of_reach(hostile):
    address = f"\0backprop-attack-{secrets.token_hex(4)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(address)
        server.listen()
        with pytest.raises(StudentError) as caught:
            StudentProxy(hostile(NETWORK)).layers.connect_unix(address)
    assert caught.value.kind == "ConnectionRefusedError"
