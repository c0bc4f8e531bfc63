"""The wire: generated stubs (api_pb2*, do not edit), the channel, and status → exception mapping.

Imported lazily: ``import leveret`` must not pull in grpc (containers import leveret too).
"""
