"""`mlops demo`: the whole lifecycle on the local cloud, every step real and checked."""
