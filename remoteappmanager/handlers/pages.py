"""Pages for the browser. The dashboard proper (Vue) replaces the home page later."""

from __future__ import annotations

from tornado import web
from tornado.template import Template

from .base import BaseHandler

HOME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Applications of {{ user }}</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem;color:#1f2937}</style></head>
<body><h1>Applications of {{ user }}</h1>
{% if not applications %}<p>No application has been granted to you yet.</p>{% end %}
<ul>{% for name, state, url in applications %}
<li>{{ name }}{% if url %}: <a href="{{ url }}">{{ state }}</a>{% end %}</li>{% end %}
</ul>
<p>Start and stop applications through the REST API at
<code>{{ api }}</code>.</p></body></html>
"""
# Tornado's templates escape every value: hostile names show as text.
HOME_TEMPLATE = Template(HOME, autoescape="xhtml_escape")


class HomeHandler(BaseHandler):
    @web.authenticated
    async def get(self) -> None:
        user = self.require_owner()
        found = await self.containers.applications_of(user)
        applications = [
            (
                image.title,
                container.state if container else "",
                container.urlpath if container else "",
            )
            for _, image, container in found
        ]
        api = f"{self.settings['base_url']}api/v1/"
        self.finish(HOME_TEMPLATE.generate(user=user, applications=applications, api=api))
