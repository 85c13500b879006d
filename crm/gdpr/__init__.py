"""Personal data (RGPD): subject access, erasure on request, retention."""
