"""Monitoring: scheduled drift and model-quality checks of a serving endpoint, and the
retraining they may trigger.

- `capture`: SageMaker data capture records parsed, streamed into the drift engine's summaries;
- `labels`: ground truth pushed by users, joined to captured predictions by inference id;
- `quality`: the gate metric on the labelled window against the serving model's evaluation;
- `check`: one check end to end (watermark, capture, baseline, report, metrics, events);
- `guard`: whether a drift or quality alert starts training (in progress, cooldown, retrain off);
- `schedule`: EventBridge Scheduler expressions (also what the local cloud fires by).

Kept free of imports here: the config imports `schedule`, and must not pull in pandas.
"""
