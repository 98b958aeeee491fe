"""A TCP port-forwarder that can cut the line, to play "the database went away".

    python bench/db_proxy.py --listen 55432 --target 127.0.0.1:5432

SIGUSR1 cuts: every open connection is closed and the port stops listening, so new
connections are refused, exactly what a client sees when the server is down.
SIGUSR2 restores: the port listens again. SIGTERM stops the proxy.
Used by bench/fault_db.sh; the real PostgreSQL is never touched.
"""

import argparse
import asyncio
import signal
import sys


class Proxy:
    def __init__(self, listen_port: int, target_host: str, target_port: int) -> None:
        self.listen_port = listen_port
        self.target_host = target_host
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        if self.server is None:
            self.server = await asyncio.start_server(
                self.handle, "127.0.0.1", self.listen_port, reuse_address=True
            )
            print(f"db_proxy: listening on {self.listen_port}", flush=True)

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.close()
        self.writers.clear()
        print("db_proxy: line cut", flush=True)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.close()
            return
        self.writers.update({writer, up_writer})
        await asyncio.gather(
            self.pipe(reader, up_writer), self.pipe(up_reader, writer), return_exceptions=True
        )
        self.writers.difference_update({writer, up_writer})

    async def pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", default="127.0.0.1:5432")
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    proxy = Proxy(args.listen, host, int(port))
    await proxy.start()

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, lambda: asyncio.ensure_future(proxy.cut()))
    loop.add_signal_handler(signal.SIGUSR2, lambda: asyncio.ensure_future(proxy.start()))
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await proxy.cut()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
