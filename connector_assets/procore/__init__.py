"""The Procore side shared by every integration that reads from or writes to Procore (Procore -> JD Edwards
today, another ERP next): the staged source reads of every company (``sources``), which company a record
belongs to (``companies``), live reads by id (``reads``), the webhook inbox's events as the runs they ask
for (``inbox_events``), the app's webhook registered per company (``hooks``), the origin mark written
back on a vendor (``vendor_marks``) and the vendor as a patch target (``vendor_target``). One copy of
what a flow does with Procore whatever the other system is; an integration passes its name and its
words, and nothing here imports an integration package."""
