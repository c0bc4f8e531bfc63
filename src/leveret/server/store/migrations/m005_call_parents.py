"""A call made from inside a container names the input whose code made it, so the tree of nested
calls can be read back (``FunctionCall.get_call_graph``) after the calls finished or the server
restarted. Calls from clients have none ('')."""

SQL = """
ALTER TABLE calls ADD COLUMN parent_input TEXT NOT NULL DEFAULT '';
CREATE INDEX calls_parent ON calls(parent_input)
"""
