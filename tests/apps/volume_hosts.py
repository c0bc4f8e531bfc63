"""A volume written on one host and read on another (tests/e2e/test_volumes_netns.py): workers are
labelled region=a and region=b, each on its own host. The writer has a secret; the reader not."""

import os
import socket

import leveret

app = leveret.App("volume-hosts")
vol = leveret.Volume.from_name("hosts-vol", create_if_missing=True)


def _host(peer: str) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:   # the address this host reaches ``peer`` by
        s.connect((peer, 9))
        return s.getsockname()[0]


@app.function(volumes={"/v": vol}, region="a", secrets=[leveret.Secret.from_local_environ(["HOSTS_SECRET"])])
def write(text: str, peer: str) -> str:
    assert os.environ["HOSTS_SECRET"]   # the client's, known only there and here
    os.makedirs("/v/dir", exist_ok=True)
    with open("/v/dir/f.txt", "w") as f:
        f.write(text)
    with open("/v/big.bin", "wb") as f:
        f.write(os.urandom(20 * 1024 * 1024))   # three chunks
    vol.commit()
    return _host(peer)


@app.function(volumes={"/v": vol}, region="b")
def read(peer: str) -> tuple:
    vol.reload()
    text = open("/v/dir/f.txt").read() if os.path.exists("/v/dir/f.txt") else None
    size = os.path.getsize("/v/big.bin") if os.path.exists("/v/big.bin") else 0
    assert "HOSTS_SECRET" not in os.environ
    return text, size, _host(peer)


@app.local_entrypoint()
def main(peer: str, text: str = "hello"):
    before = read.remote(peer)   # the reader's container is up before the write
    wrote_on = write.remote(text, peer)
    after = read.remote(peer)
    print(f"before {before[0]} on {before[2]}")
    print(f"wrote on {wrote_on}")
    print(f"read {after[0]} {after[1]} on {after[2]}")
