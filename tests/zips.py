"""Crafting hostile zip archives for tests, without writing what they pretend to hold."""

import struct


def declaring(data: bytes, name: str, size: int) -> bytes:
    """`data` (a zip) with entry `name`'s uncompressed size declared as `size`, in its
    local header and central directory alike: the cheap way to craft a zip bomb."""
    buf = bytearray(data)
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (at := buf.find(signature, start)) >= 0:
            if buf[at + name_at : at + name_at + len(encoded)] == encoded:
                struct.pack_into("<I", buf, at + size_at, size)
            start = at + 1
    return bytes(buf)
