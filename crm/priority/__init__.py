"""« À contacter en priorité »: the counselors' priority lists (job seekers and employers),
read from the published ``PriorityScore`` rows, and the counselors' feedback on them."""
