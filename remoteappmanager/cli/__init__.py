"""Command line tools: `remoteappdb` works on the app database (through the same
services as the admin API); `remoteapprest` works on a running site through its REST
API. Both print through `output` and exit with the codes of `exit_codes`."""
