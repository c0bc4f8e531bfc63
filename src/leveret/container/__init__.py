"""What runs inside every container (bootstrap.py) and the protocol it speaks with its worker (README.md)."""
