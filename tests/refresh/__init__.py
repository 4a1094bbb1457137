"""The refresh: once per expiry, across processes, within its deadline, through outages."""
