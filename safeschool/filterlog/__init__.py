"""Filter events ingested from the daemons' event log, the block page and unblock requests."""
