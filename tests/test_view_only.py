"""The view-only filter of a shared desktop (handlers/view_only.py), on RFB messages
as noVNC sends them; the browser test in test_sharing.py shows it on a real desktop."""

from __future__ import annotations

import struct

import pytest

from remoteappmanager.handlers.view_only import ProtocolRefused, ViewOnlyFilter

HANDSHAKE = b"RFB 003.008\n" + b"\x01"  # version, security type None
PIXEL_FORMAT = bytes([0, 0, 0, 0]) + bytes(16)
ENCODINGS = struct.pack(">BxHii", 2, 2, 0, -223)  # Raw, DesktopSize
UPDATE_REQUEST = struct.pack(">BBHHHH", 3, 1, 0, 0, 1024, 768)
KEY = struct.pack(">BBxxI", 4, 1, 0x61)  # "a" pressed
POINTER = struct.pack(">BBHH", 5, 1, 100, 200)  # a click at 100, 200
CUT_TEXT = struct.pack(">Bxxxi", 6, 5) + b"hello"
EXTENDED_CUT_TEXT = struct.pack(">Bxxxi", 6, -8) + struct.pack(">I", 1) + b"abcd"
CONTINUOUS = struct.pack(">BBHHHH", 150, 1, 0, 0, 1024, 768)
FENCE = struct.pack(">BxxxIB", 248, 0x80000000, 3) + b"abc"
QEMU_KEY = struct.pack(">BBHII", 255, 0, 1, 0x61, 30)  # "a" pressed, with its scancode
SCREEN = struct.pack(">IHHHHI", 0, 0, 0, 800, 600, 0)
DESKTOP_SIZE = struct.pack(">BxHHBx", 251, 800, 600, 1) + SCREEN  # one screen

SEEN = [PIXEL_FORMAT, ENCODINGS, UPDATE_REQUEST, CONTINUOUS, FENCE]
INPUT = [KEY, POINTER, CUT_TEXT, EXTENDED_CUT_TEXT, QEMU_KEY, DESKTOP_SIZE]


def test_what_asks_to_see_passes_and_input_is_dropped() -> None:
    # Each message that asks to see, then one of input: the input goes, in any case.
    stream = HANDSHAKE + b"\x00"
    for seen, given in zip(SEEN, INPUT[: len(SEEN)], strict=True):
        stream += seen + given
    stream += b"".join(INPUT[len(SEEN) :])
    # ClientInit's "exclusive" (0) becomes "shared" (1): the owner is not disconnected.
    expected = HANDSHAKE + b"\x01" + b"".join(SEEN)
    assert ViewOnlyFilter().feed(stream) == expected


def test_messages_split_anywhere_come_out_the_same() -> None:
    stream = HANDSHAKE + b"\x00" + b"".join(SEEN) + b"".join(INPUT) + UPDATE_REQUEST
    whole = ViewOnlyFilter().feed(stream)
    for size in (1, 2, 3, 7):
        view = ViewOnlyFilter()
        pieces = [view.feed(stream[i : i + size]) for i in range(0, len(stream), size)]
        assert b"".join(pieces) == whole, size
    assert whole.endswith(b"".join(SEEN) + UPDATE_REQUEST)


def test_a_long_clipboard_text_is_dropped_as_it_comes() -> None:
    view = ViewOnlyFilter()
    view.feed(HANDSHAKE + b"\x00")
    size = 10 * 1024 * 1024
    assert view.feed(struct.pack(">Bxxxi", 6, size)) == b""
    chunk = b"x" * 65536
    for _ in range(size // len(chunk)):
        assert view.feed(chunk) == b""
        assert len(view._buffer) == 0  # nothing of it is held
    assert view.feed(UPDATE_REQUEST) == UPDATE_REQUEST


def test_vnc_authentication_passes_its_response() -> None:
    view = ViewOnlyFilter()
    response = bytes(range(16))
    assert view.feed(b"RFB 003.008\n\x02" + response + b"\x00") == (
        b"RFB 003.008\n\x02" + response + b"\x01"
    )
    assert view.feed(KEY + UPDATE_REQUEST) == UPDATE_REQUEST


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        (b"RFB 003.003\n", "RFB 3.7 or 3.8"),
        (b"RFB 003.008\n\x13", "security type 19"),  # VeNCrypt: the filter cannot read it
        (HANDSHAKE + b"\x01" + b"\xfc" + bytes(7), "message type 252"),  # xvp
        (HANDSHAKE + b"\x01" + b"\xff\x01" + bytes(10), "QEMU message 1"),  # QEMU's audio
    ],
)
def test_what_it_cannot_measure_ends_the_connection(stream: bytes, message: str) -> None:
    with pytest.raises(ProtocolRefused, match=message):
        ViewOnlyFilter().feed(stream)
