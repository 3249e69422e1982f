"""DynamoDB single-table access: keys, models and repositories."""
