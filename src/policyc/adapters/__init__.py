"""Adapters: each agent protocol on the action boundary (coding-agent hooks, MCP, HTTP, Python
calls) turned into actions for the runtime, and its decisions into the protocol's answers."""
