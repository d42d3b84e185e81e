"""CDK stacks of serverless-mlops: one per bounded context, composed from stacks.constructs."""
