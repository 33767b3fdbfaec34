"""The graph's nodes, one module per step of the flow."""
