"""The health of the published recommender models (directors and admins)."""
