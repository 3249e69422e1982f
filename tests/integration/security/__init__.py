"""The security suite: each test shows a hole found by review (issue 16), then proves it closed."""
