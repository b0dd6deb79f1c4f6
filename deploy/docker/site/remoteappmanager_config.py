# Settings of the users' remoteappmanager services and of the router, for the hub image
# (docker-compose.yml passes this file as $REMOTEAPPMANAGER_CONFIG).
# `docker compose exec hub remoteappmanager --generate-config` prints every option.
c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# The label value of this site's application containers: two sites on one Docker engine
# need two realms.
c.ContainerIndex.realm = "remoteappmanager"

# What each application container may use.
# c.ContainerService.mem_limit = "2g"
# c.ContainerService.cpu_limit = 1.0

# Applications everyone may run, besides the grants made with remoteappdb.
# c.RemoteAppManager.demo_applications = {"remoteappmanager/demo-webapp:latest": {}}

# Host directories a grant's volume may come from (none by default: no volumes). The
# path must be the same on the host and in the hub container, which starts the apps.
# c.Policy.allowed_volume_roots = ["/srv/data"]
