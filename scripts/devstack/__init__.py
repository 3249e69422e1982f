"""The local stack: moto, localstripe and a local API Gateway/Lambda runtime, all
derived from template.yaml. Developer tooling only: nothing here ships to AWS."""
