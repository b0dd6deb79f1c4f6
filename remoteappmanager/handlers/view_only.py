"""View-only for VNC: the gateway reads what a viewer's noVNC sends to the VNC server
(RFB, RFC 6143) and passes only what asks to see, never what would act.

The viewer's browser never reaches the VNC server but through this filter, so it
holds whatever the page does. Passed: the handshake (version, the security type None
or VNC authentication, ClientInit forced to "shared", so the owner stays connected),
SetPixelFormat, SetEncodings, FramebufferUpdateRequest, and the TigerVNC extensions
that only manage the picture (EnableContinuousUpdates, Fence). Dropped: KeyEvent,
PointerEvent, ClientCutText, QEMU's extended KeyEvent (what noVNC sends for keys
when the server offers it, as TigerVNC does) and SetDesktopSize (a viewer does not
resize the owner's screen). Anything else ends the connection: a message the filter
cannot measure could hide input behind it.
"""

from __future__ import annotations

import struct

SECURITY_NONE = 1
SECURITY_VNC_AUTH = 2
# Client-to-server message types.
SET_PIXEL_FORMAT = 0
SET_ENCODINGS = 2
FRAMEBUFFER_UPDATE_REQUEST = 3
KEY_EVENT = 4
POINTER_EVENT = 5
CLIENT_CUT_TEXT = 6
ENABLE_CONTINUOUS_UPDATES = 150
CLIENT_FENCE = 248
SET_DESKTOP_SIZE = 251
QEMU_CLIENT_MESSAGE = 255
QEMU_EXTENDED_KEY_EVENT = 0  # its subtype
DROPPED = frozenset(
    {KEY_EVENT, POINTER_EVENT, CLIENT_CUT_TEXT, SET_DESKTOP_SIZE, QEMU_CLIENT_MESSAGE}
)


class ProtocolRefused(Exception):
    """What the viewer sent cannot be passed on safely: close the connection."""


class ViewOnlyFilter:
    """Feed it the client's bytes as they come; it returns those to pass on."""

    def __init__(self) -> None:
        self._buffer = b""
        self._step = self._version
        self._skip = 0  # bytes still to drop of a message dropped (clipboard text)

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        passed = []
        while self._buffer:
            if self._skip:
                dropped = min(self._skip, len(self._buffer))
                self._skip -= dropped
                self._buffer = self._buffer[dropped:]
                continue
            taken = self._step()
            if taken is None:  # wait for more bytes
                break
            length, keep = taken
            if keep is not None:
                passed.append(keep)
            self._buffer = self._buffer[length:]
        return b"".join(passed)

    # Each step: None (not enough bytes yet) or (bytes consumed, bytes to pass or None).

    def _version(self) -> tuple[int, bytes | None] | None:
        if len(self._buffer) < 12:
            return None
        version = self._buffer[:12]
        if version not in (b"RFB 003.007\n", b"RFB 003.008\n"):
            raise ProtocolRefused(f"view-only needs RFB 3.7 or 3.8, not {version!r}")
        self._step = self._security
        return 12, version

    def _security(self) -> tuple[int, bytes | None] | None:
        chosen = self._buffer[0]
        if chosen == SECURITY_NONE:
            self._step = self._client_init
        elif chosen == SECURITY_VNC_AUTH:
            self._step = self._vnc_auth_response
        else:
            raise ProtocolRefused(f"view-only does not know the security type {chosen}")
        return 1, self._buffer[:1]

    def _vnc_auth_response(self) -> tuple[int, bytes | None] | None:
        if len(self._buffer) < 16:
            return None
        self._step = self._client_init
        return 16, self._buffer[:16]

    def _client_init(self) -> tuple[int, bytes | None] | None:
        self._step = self._message
        return 1, b"\x01"  # shared: the owner's own connection stays

    def _message(self) -> tuple[int, bytes | None] | None:
        kind = self._buffer[0]
        length = self._length_of(kind)
        if length is None:
            return None
        if kind in DROPPED:
            # Dropped as it comes: a long clipboard text is never held whole.
            self._skip = length
            return 0, None
        if len(self._buffer) < length:
            return None
        return length, self._buffer[:length]

    def _length_of(self, kind: int) -> int | None:
        """The length of the message starting the buffer; None until it is known."""
        buffer = self._buffer
        if kind == SET_PIXEL_FORMAT:
            return 20
        if kind == SET_ENCODINGS:
            return 4 + 4 * struct.unpack(">H", buffer[2:4])[0] if len(buffer) >= 4 else None
        if kind in (FRAMEBUFFER_UPDATE_REQUEST, ENABLE_CONTINUOUS_UPDATES):
            return 10
        if kind == KEY_EVENT:
            return 8
        if kind == POINTER_EVENT:
            return 6
        if kind == CLIENT_CUT_TEXT:
            # A negative length marks the extended clipboard: its size is the opposite.
            if len(buffer) < 8:
                return None
            length: int = struct.unpack(">i", buffer[4:8])[0]
            return 8 + abs(length)
        if kind == CLIENT_FENCE:
            return 9 + buffer[8] if len(buffer) >= 9 else None
        if kind == SET_DESKTOP_SIZE:
            return 8 + 16 * buffer[6] if len(buffer) >= 7 else None  # 16 bytes a screen
        if kind == QEMU_CLIENT_MESSAGE:
            if len(buffer) < 2:
                return None
            if buffer[1] == QEMU_EXTENDED_KEY_EVENT:
                return 12
            raise ProtocolRefused(f"view-only does not pass the QEMU message {buffer[1]}")
        raise ProtocolRefused(f"view-only does not pass the RFB message type {kind}")
