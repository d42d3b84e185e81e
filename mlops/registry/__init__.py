"""Registry records (data versions, runs, deployments) in the project's DynamoDB table."""
