"""Lambda handlers: thin. Parse the event, call one function in `mlops`, return a model."""
