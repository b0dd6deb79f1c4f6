"""The Hub side: spawners that start one remoteappmanager service per user."""
