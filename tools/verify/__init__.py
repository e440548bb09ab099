"""`tools verify`: build both projects with and without the series and measure the rollout."""
