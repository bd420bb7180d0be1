"""Reader functions that misbehave on purpose, to test the sandbox around the real reader."""

import os
import time


class CodedError(Exception):
    code = "encrypted"
    message = "lösenordsskyddad PDF"


def echo(data: bytes, name: str) -> dict[str, object]:
    return {"name": name, "size": len(data), "pid": os.getpid()}


def misbehave(data: bytes, name: str) -> object:
    if data == b"sleep":
        time.sleep(60)
    if data == b"hog":
        hoard = []
        while True:
            hoard.append(bytearray(50 * 1024 * 1024))
    if data == b"die":
        os._exit(139)
    if data == b"coded":
        raise CodedError()
    return echo(data, name)
