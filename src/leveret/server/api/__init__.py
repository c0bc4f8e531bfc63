"""The gRPC API, a module per noun, composed into the servicer (server/service.py): each converts
between the wire's messages and the server's own calls."""
