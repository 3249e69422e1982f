"""Pure business rules: no AWS, no Stripe, no environment."""
