"""Services: what handlers and the command line call. They call the adapters
(database, Docker, proxy) and hold the rules."""
