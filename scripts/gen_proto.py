"""Regenerate the protobuf and gRPC stubs from proto/ into src/leveret/_wire/.

    python scripts/gen_proto.py           # rewrite the stubs
    python scripts/gen_proto.py --check   # exit 1 if the checked-in stubs are stale
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO = "leveret/v1/api.proto"
OUT = ROOT / "src" / "leveret" / "_wire"
BANNER = "# Generated from proto/{} by scripts/gen_proto.py — do not edit.\n".format(PROTO)
STUBS = ("api_pb2.py", "api_pb2.pyi", "api_pb2_grpc.py")


def generate() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        include = pathlib.Path(protoc.__file__).parent / "_proto"
        rc = protoc.main(
            [
                "protoc",
                f"-I{ROOT / 'proto'}",
                f"-I{include}",
                f"--python_out={tmp}",
                f"--pyi_out={tmp}",
                f"--grpc_python_out={tmp}",
                str(ROOT / "proto" / PROTO),
            ]
        )
        if rc != 0:
            raise SystemExit(f"protoc failed with exit code {rc}")
        out = {}
        for name in STUBS:
            text = (pathlib.Path(tmp) / "leveret" / "v1" / name).read_text()
            text = text.replace(
                "from leveret.v1 import api_pb2 as", "from . import api_pb2 as"
            )
            out[name] = BANNER + text
        return out


def main(argv: list[str]) -> int:
    stubs = generate()
    if "--check" in argv:
        stale = [n for n, t in stubs.items() if (OUT / n).read_text() != t]
        if stale:
            print(f"stale generated stubs: {', '.join(stale)}; run: python scripts/gen_proto.py")
            return 1
        print("generated stubs are current")
        return 0
    for name, text in stubs.items():
        (OUT / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
