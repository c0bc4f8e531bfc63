"""A function that uses a named secret (tests/e2e/test_state_cli.py): it prints the sha256 of the
value, never the value."""

import hashlib
import os

import leveret

app = leveret.App("secret-user")


@app.function(secrets=[leveret.Secret.from_name("cli-secret", required_keys=["API_KEY"])])
def digest(name: str) -> str:
    return hashlib.sha256(os.environ[name].encode()).hexdigest()


@app.local_entrypoint()
def main(name: str = "API_KEY"):
    print("digest", digest.remote(name))
