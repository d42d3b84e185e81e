"""The platform overview: one self-contained HTML page per environment (`mlops report`) with
data versions, the training leaderboard, model versions and which one serves, the deployment
history with rollbacks, drift and model quality over time. `models` holds what the page
shows, `collect` reads it from the registry, SageMaker and S3, `page` renders it."""
