"""Raw-socket HTTP clients: requests no well-behaved library would send, and slow ones."""

from __future__ import annotations

import asyncio


async def raw_request(port: int, data: bytes, within: float = 10.0) -> int | None:
    """Send `data` as is and return the status code answered, or None if the server hung up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(within):
            line = await reader.readline()
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
    parts = line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """One HTTP/1.1 POST, byte for byte; the caller's headers are sent unchecked."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body
