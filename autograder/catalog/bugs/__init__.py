"""Every bug of the catalog, grouped by the layers they break."""

from autograder.catalog.bugs import basics, convolution, framework, networks, normalization, update_rules

BUGS = basics.BUGS + normalization.BUGS + convolution.BUGS + update_rules.BUGS + networks.BUGS + framework.BUGS
