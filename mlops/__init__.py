"""serverless-mlops: a production MLOps platform on AWS, runnable locally on moto."""

__version__ = "0.1.0"
