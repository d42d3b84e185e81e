"""Small adapters over boto3 clients: all AWS access of the domain logic goes through here."""
