"""The director's agency steering: overview by team, weekly report, bassin d'emploi."""
