"""The filter daemons: thin adapters between the network and the filter engine.

`safeschool dns` (dns_main) and `safeschool squid-helper` (squid_main). Neither imports Django;
both write their decisions to the event log (safeschool.eventlog).
"""
