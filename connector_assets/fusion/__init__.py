"""The Oracle Fusion side shared by the integrations that read from or write to Fusion: what is about
Fusion's REST API and data whatever the other system is. An integration keeps its own rules and names
itself in the wording these pieces take as parameters; nothing here imports an integration package.
"""
