"""The Procore side shared by every integration that reads from or writes to Procore (Procore -> JD Edwards
today, another ERP next): one copy of what a flow does with Procore whatever the other system is; an
integration passes its name and its words, and nothing here imports an integration package."""
